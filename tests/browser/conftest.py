"""Browser tests: Debian's Chromium driven by Playwright, with axe-core for WCAG 2.1 A/AA.

Locally they skip when Chromium is missing; CI sets REQUIRE_BROWSER=1 so that they fail instead.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django's async-safety check would
# otherwise refuse the database calls that the tests make between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}, and REQUIRE_BROWSER is set.")
        pytest.skip("Chromium is not installed (apt-get install chromium); CI runs these.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class PageProblems(list):
    """Console errors (e.g. a CSP violation) and requests to other hosts seen by a page."""


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    problems = PageProblems()
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(f"console: {message.text}"),
    )

    def _check_host(request):
        if not request.url.startswith((live_server.url, "data:", "about:")):
            problems.append(f"request to another host: {request.url}")

    page.on("request", _check_host)
    page.problems = problems
    yield page
    context.close()


@pytest.fixture
def axe_check():
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page):
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
        assert page.problems == [], page.problems

    return check
