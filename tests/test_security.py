"""Security headers on every page type."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["home", "about", "account_login", "account_signup"]


@pytest.mark.parametrize("name", PAGES)
def test_security_headers(client, name):
    response = client.get(reverse(name), secure=True)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


@pytest.mark.parametrize("name", PAGES)
def test_pages_have_no_inline_scripts_or_styles(client, name):
    html = client.get(reverse(name)).content.decode()
    import re

    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_session_and_csrf_cookies_are_secure(client, settings):
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
