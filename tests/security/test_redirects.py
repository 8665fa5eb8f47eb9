"""No open redirects: a `next` that leads off the site is ignored on sign-in, sign-up, sign-out
and the admin's sign-in, while a path on the site is still honoured."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EVIL = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:/\\evil.example",
    "http:evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://testserver.evil.example/",
    "https://evil.example@testserver/",
]
SAFE_NEXT = "/en/events/"


def assert_stays_on_site(location: str):
    parts = urlsplit(location)
    assert parts.scheme in ("", "http", "https"), location
    assert parts.netloc in ("", "testserver"), location
    assert location.startswith(("/", "http://testserver/", "https://testserver/")), location
    assert not location.startswith(("//", "/\\")), location
    # Browsers drop tabs and newlines in URLs, so "/\t/evil" would be "//evil".
    assert not any(char in location for char in "\t\r\n"), location


@pytest.mark.parametrize("next_url", EVIL)
def test_sign_in_ignores_a_next_off_the_site(client, next_url):
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert_stays_on_site(response["Location"])


@pytest.mark.parametrize("next_url", EVIL)
def test_sign_in_ignores_a_next_off_the_site_in_the_query_string(client, next_url):
    user = UserFactory()
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        query_params={"next": next_url},
    )
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])


@pytest.mark.parametrize("next_url", EVIL)
def test_the_sign_in_page_of_a_signed_in_visitor_does_not_follow_it(client, next_url):
    client.force_login(UserFactory())
    response = client.get(reverse("account_login"), {"next": next_url})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert_stays_on_site(response["Location"])
    else:
        assert f'value="{next_url}"' not in response.content.decode()


@pytest.mark.parametrize("next_url", EVIL)
def test_sign_out_ignores_a_next_off_the_site(client, next_url):
    client.force_login(UserFactory())
    response = client.post(reverse("account_logout"), {"next": next_url})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert_stays_on_site(response["Location"])


@pytest.mark.parametrize("next_url", EVIL)
def test_admin_sign_in_ignores_a_next_off_the_site(client, next_url):
    admin = UserFactory(is_staff=True, is_superuser=True)
    response = client.post(
        reverse("admin:login"),
        {"username": admin.email, "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])


def test_a_next_on_the_site_is_followed(client):
    """So that the tests above fail if `next` stopped being read at all."""
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": SAFE_NEXT}
    )
    assert response["Location"] == SAFE_NEXT

    response = client.post(reverse("account_logout"), {"next": SAFE_NEXT})
    assert response["Location"] == SAFE_NEXT
