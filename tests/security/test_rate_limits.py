"""Guessing passwords is slowed down: after too many failures, per account and per address,
even the right password is refused for a while."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


def _sign_in(client, email, password, ip="203.0.113.7", **headers):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip, **headers
    )


def test_failures_for_one_account_lock_it_even_from_other_addresses(client):
    user = UserFactory()
    for attempt in range(5):
        response = _sign_in(client, user.email, f"wrong-{attempt}", ip=f"198.51.100.{attempt}")
        assert TOO_MANY not in response.content.decode()

    response = _sign_in(client, user.email, PASSWORD, ip="192.0.2.99")

    assert "_auth_user_id" not in client.session
    assert TOO_MANY in response.content.decode()


def test_failures_from_one_address_across_accounts_lock_that_address(client):
    """Trying one password on many accounts (password spraying) is limited per address."""
    victims = UserFactory.create_batch(10)
    for victim in victims:
        response = _sign_in(client, victim.email, "Winter2024!")
        assert TOO_MANY not in response.content.decode()

    someone = UserFactory()
    response = _sign_in(client, someone.email, PASSWORD)

    assert "_auth_user_id" not in client.session
    assert TOO_MANY in response.content.decode()

    # Another address is not held up by this one's failures.
    response = _sign_in(client, someone.email, PASSWORD, ip="192.0.2.99")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(someone.pk)


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client):
    """With no trusted proxy in front, X-Forwarded-For is the visitor's to write."""
    for index, victim in enumerate(UserFactory.create_batch(10)):
        _sign_in(client, victim.email, "Winter2024!", HTTP_X_FORWARDED_FOR=f"10.0.0.{index}")

    someone = UserFactory()
    response = _sign_in(client, someone.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.200")

    assert "_auth_user_id" not in client.session
    assert TOO_MANY in response.content.decode()


def test_below_the_limits_the_right_password_still_works(client):
    user = UserFactory()
    for attempt in range(4):
        _sign_in(client, user.email, f"wrong-{attempt}")
    response = _sign_in(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_password_reset_requests_are_limited_per_address(client, mailoutbox):
    users = UserFactory.create_batch(21)
    statuses = [
        client.post(
            reverse("account_reset_password"), {"email": user.email}, REMOTE_ADDR="203.0.113.7"
        ).status_code
        for user in users
    ]
    assert statuses[:20] == [302] * 20
    assert statuses[20] == 429
    assert len(mailoutbox) == 20
