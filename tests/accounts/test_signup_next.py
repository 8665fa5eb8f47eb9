"""Sign-up keeps where the person was going, the "verify your email" page can send the email
again, and the account pages speak in the site's voice."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.accounts.test_signup_journey import SIGNUP
from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def _confirmation_link(message) -> str:
    """The whole link, with its query string."""
    return re.search(r"https?://\S+/confirm-email/\S+", message.body).group(0)


@pytest.mark.parametrize("same_browser", [True, False])
def test_signing_up_from_an_event_returns_to_it_once_the_email_is_confirmed(client, same_browser):
    event = EventFactory()
    # The registration box's "Create one" link carries the event's address.
    html = client.get(event.get_absolute_url()).content.decode()
    assert f'href="/en/accounts/signup/?next={event.get_absolute_url()}"' in html
    signup_page = client.get("/en/accounts/signup/", {"next": event.get_absolute_url()})
    assert f'name="next" value="{event.get_absolute_url()}"' in signup_page.content.decode()
    client.post("/en/accounts/signup/", {**SIGNUP, "next": event.get_absolute_url()})
    link = _confirmation_link(mail.outbox[0])
    assert "next=" in link
    # The link is opened in the same browser, or in another one (the phone's mail app).
    browser = client if same_browser else Client()
    page = browser.get(_path(link)).content.decode()
    assert f'name="next" value="{event.get_absolute_url()}"' in page
    action = re.search(r'<form class="form" method="post" action="([^"]+)"', page).group(1)
    response = browser.post(action, {"next": event.get_absolute_url()})
    assert response.status_code == 302
    assert response["Location"] == event.get_absolute_url()


def test_a_next_elsewhere_is_not_kept(client):
    client.post("/en/accounts/signup/", {**SIGNUP, "next": "https://evil.example/steal"})
    assert "evil.example" not in mail.outbox[0].body


def test_the_verify_page_sends_the_email_again(client):
    event = EventFactory()
    client.post("/en/accounts/signup/", {**SIGNUP, "next": event.get_absolute_url()})
    page = client.get(reverse("account_email_verification_sent")).content.decode()
    assert "Verify your email address" in page and "Send the email again" in page
    resend = reverse("accounts:resend_verification")
    # At once: allauth's limit holds it back, and the page says to wait.
    response = client.post(resend, follow=True)
    assert len(mail.outbox) == 1
    assert "We sent an email a moment ago" in response.content.decode()
    # Later (the limit's window over): a second email, whose link still leads to the event.
    cache.clear()
    client.post(resend)
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == [SIGNUP["email"].lower()] or mail.outbox[1].to == [SIGNUP["email"]]
    assert "next=" in _confirmation_link(mail.outbox[1])


def test_send_again_for_a_taken_address_looks_the_same(client):
    taken = UserFactory(email="grace.manufacturer@example.org")
    client.post("/en/accounts/signup/", {**SIGNUP, "email": taken.email})
    cache.clear()
    response = client.post(reverse("accounts:resend_verification"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    # The owner is told that someone tried to sign up with the address, as sign-up did.
    assert all(message.to == [taken.email] for message in mail.outbox)


def test_send_again_without_a_sign_up_sends_nothing(client):
    response = client.post(reverse("accounts:resend_verification"))
    assert response.status_code == 302
    assert mail.outbox == []


def test_account_pages_speak_in_the_site_voice(client):
    signup = client.get(reverse("account_signup")).content.decode()
    assert "Create an account" in signup
    assert "Sign Up" not in signup and "Signup" not in signup
    login = client.get(reverse("account_login")).content.decode()
    assert "Remember me" in login and "Remember Me" not in login
    assert "Sign In" not in login
    client.post(reverse("account_signup"), SIGNUP)
    assert mail.outbox[0].subject.endswith("Please confirm your email address")
