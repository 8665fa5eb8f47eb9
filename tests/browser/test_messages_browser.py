"""An Event manager writes to an event's registrants, checks the preview, sends, sees the
delivery: in a real browser, with axe-core on each admin page."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from accounts.groups import EVENT_MANAGERS
from events.models import Message
from tests.factories import EventFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in_as_manager(page, live_server):
    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name=EVENT_MANAGERS))
    client = Client()
    client.force_login(manager)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def check_admin_page(page):
    """axe-core finds no WCAG 2.1 A/AA violation and the page logged no error. The admin's own
    scripts log blocked inline styles while axe inspects its pages (any admin page, e.g. adding a
    programme), so the console is checked before axe runs."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.conftest import WCAG_TAGS

    page.wait_for_load_state("networkidle")
    assert page.problems == [], page.problems
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
    page.problems.clear()


def test_write_preview_send_and_see_the_delivery(page, live_server, mailoutbox):
    event = EventFactory(title="Sterile manufacturing workshop")
    RegistrationFactory(event=event, user__email="amara@example.org", attended=True)
    RegistrationFactory(event=event, user__email="li@example.org")
    RegistrationFactory(event=event, user__email="waiting@example.org", status="waitlisted")
    _sign_in_as_manager(page, live_server)
    # The admin declares no icon; the browser's request for one is not this page's error.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))

    page.goto(f"/admin/events/message/add/?event={event.pk}")
    check_admin_page(page)
    page.get_by_label("Send to").select_option("confirmed")
    page.get_by_label("Subject:", exact=True).fill("Bring your laptop")
    page.get_by_label("Message:", exact=True).fill("Please bring **a laptop** on day one.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/preview/$"))
    assert page.get_by_text(
        "Confirmed registrants of Sterile manufacturing workshop: 2 people."
    ).is_visible()
    assert page.locator("#message-preview-html strong").first.inner_text() == "a laptop"
    assert page.get_by_role("cell", name="li@example.org", exact=True).is_visible()
    assert page.get_by_text("waiting@example.org").count() == 0
    check_admin_page(page)

    page.get_by_role("link", name="Send…").click()
    page.wait_for_url(re.compile(r"/send/$"))
    check_admin_page(page)
    page.get_by_role("button", name="Yes, send it to 2 people").click()
    page.wait_for_url(re.compile(r"/change/$"))
    assert page.get_by_text("The message is being sent to 2 registrants.").is_visible()
    assert page.locator("#message-deliveries tbody tr").count() == 2
    check_admin_page(page)
    assert sorted(email.to[0] for email in mailoutbox) == ["amara@example.org", "li@example.org"]
    assert Message.objects.get().status == "sent"
