"""Register, see the confirmation, cancel: in a real browser, with axe-core on each page."""

import re

import pytest

from events.models import Registration
from tests.factories import PASSWORD, EventFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, user):
    page.goto("/en/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/en/accounts/$"))


def test_register_confirmation_and_cancel(page, axe_check, mailoutbox):
    event = EventFactory(title="Data integrity masterclass", capacity=30)
    user = UserFactory()
    _sign_in(page, user)

    page.goto(event.get_absolute_url())
    axe_check(page)
    page.get_by_label(re.compile("I agree that the organisers")).check()
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="You are registered").count() >= 1
    assert page.get_by_text("You are registered: your place is confirmed.").is_visible()
    axe_check(page)
    assert len(mailoutbox) == 1 and "Your place is confirmed" in mailoutbox[0].subject

    page.get_by_role("link", name="My registrations").first.click()
    page.wait_for_url(re.compile(r"/my/registrations/$"))
    assert page.get_by_text("Confirmed").first.is_visible()
    axe_check(page)

    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(re.compile(r"/cancel/$"))
    axe_check(page)
    page.get_by_label("Reason (optional)").fill("A conflict with an inspection")
    page.get_by_role("button", name="Cancel my registration").click()
    page.wait_for_url(re.compile(r"/my/registrations/$"))
    assert page.get_by_text("Your registration is cancelled.").is_visible()
    assert Registration.objects.get().status == "cancelled"
    axe_check(page)
