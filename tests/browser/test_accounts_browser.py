"""Sign-up and log-in in a real browser, with axe-core on the pages a newcomer sees."""

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_signup_verify_and_login(page, live_server, mailoutbox, axe_check):
    page.goto("/en/")
    axe_check(page)

    page.get_by_role("link", name="Create an account").first.click()
    page.wait_for_url(re.compile(r"/en/accounts/signup/"))
    axe_check(page)

    page.get_by_label("Email").fill("ngozi@example.org")
    page.get_by_label("Password", exact=False).first.fill("a-long-unusual-passphrase")
    page.get_by_label("Password (again)").fill("a-long-unusual-passphrase")
    page.get_by_label("Full name").fill("Ngozi Adeyemi")
    page.get_by_label("Organisation", exact=False).first.fill("Example Pharma")
    page.get_by_label("Type of organisation").select_option("manufacturer")
    page.get_by_label("Country").select_option("NG")
    page.get_by_label("I have read and accept").check()
    page.get_by_role("button", name="Create an account").click()
    page.wait_for_url(re.compile(r"/confirm-email/"))
    axe_check(page)

    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/confirm-email/\S+/", mailoutbox[0].body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, link))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()

    # Signed in after confirming; sign out, then sign in again.
    page.goto("/en/accounts/")
    assert page.get_by_role("heading", name="My account").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    page.goto("/en/accounts/login/")
    axe_check(page)
    page.get_by_label("Email").fill("ngozi@example.org")
    page.get_by_label("Password").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/en/accounts/$"))
    assert "Ngozi Adeyemi" in page.content()
    axe_check(page)


def test_login_errors_are_announced(page, axe_check):
    page.goto("/en/accounts/login/")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert alert.count() >= 1
    assert "not correct" in alert.first.inner_text()
    axe_check(page)
