"""Create an alert from My account, then leave it from an email's link: in a real browser, with
axe-core on each page."""

import re

import pytest

from events.alerts import unsubscribe_token
from events.models import AlertSubscription
from tests.factories import PASSWORD, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, user):
    page.goto("/en/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/en/accounts/$"))


def test_create_an_alert_then_unsubscribe_from_the_email_link(page, axe_check):
    TopicFactory(name="Data integrity", slug="data-integrity")
    user = UserFactory()
    _sign_in(page, user)

    page.get_by_role("link", name="Alerts").click()
    page.wait_for_url(re.compile(r"/my/alerts/$"))
    axe_check(page)
    page.get_by_role("link", name="Create an alert").click()
    page.wait_for_url(re.compile(r"/my/alerts/new/$"))
    axe_check(page)

    page.get_by_role("button", name="Save the alert").click()  # nothing chosen
    page.wait_for_load_state()
    assert page.get_by_role("alert").filter(has_text="Choose new events").count() == 1
    axe_check(page)
    content = page.get_by_role("group", name=re.compile("Tell me about"))
    content.get_by_label("New events").check()
    page.get_by_role("group", name="Topics").get_by_label("Data integrity").check()
    page.get_by_role("group", name=re.compile("How often")).get_by_label(
        re.compile("One email a week")
    ).check()
    page.get_by_role("button", name="Save the alert").click()
    page.wait_for_url(re.compile(r"/my/alerts/$"))
    assert page.get_by_text("Your alert is saved.").is_visible()
    axe_check(page)
    subscription = AlertSubscription.objects.get(user=user)
    assert subscription.frequency == "weekly" and not subscription.new_resources

    page.context.clear_cookies()  # the link works without signing in
    token = unsubscribe_token(subscriptions=[subscription])
    page.goto(f"/en/alerts/unsubscribe/{token}/")
    axe_check(page)
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert page.get_by_text("You are unsubscribed").is_visible()
    axe_check(page)
    assert not AlertSubscription.objects.exists()
