"""Security headers and the Content Security Policy on every kind of page the portal serves."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.attendance import attendance_mark
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    ResourceFactory,
    SessionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# page name -> (needs a signed-in visitor, expected status)
PAGES = {
    "home": (False, 200),
    "about": (False, 200),
    "events": (False, 200),
    "event": (False, 200),
    "programme": (False, 200),
    "resources": (False, 200),
    "resource": (False, 200),
    "topic": (False, 200),
    "certificate lookup": (False, 200),
    "certificate verify": (False, 200),
    "certificate verify, unknown code": (False, 404),
    "sign in": (False, 200),
    "sign up": (False, 200),
    "password reset": (False, 200),
    "my account": (True, 200),
    "my registrations": (True, 200),
    "profile": (True, 200),
    "admin login": (False, 200),
    "not found": (False, 404),
}
# Not HTML: only the headers apply.
FEEDS = ["events ics", "event ics", "events atom", "resources atom", "topic atom"]


@pytest.fixture
def urls():
    end = timezone.now() - timedelta(days=2)
    past = EventFactory(start=end - timedelta(days=1), end=end)
    session = SessionFactory(event=past)
    registration = RegistrationFactory(event=past)
    attendance_mark(registrations=[registration], sessions=[session])
    registration.refresh_from_db()
    event = EventFactory()
    resource = ResourceFactory()
    topic = TopicFactory()
    return {
        "home": reverse("home"),
        "about": reverse("about"),
        "events": reverse("events:list"),
        "event": event.get_absolute_url(),
        "programme": reverse("events:programme", kwargs={"slug": event.programme.slug}),
        "resources": reverse("repository:list"),
        "resource": reverse("repository:detail", kwargs={"slug": resource.slug}),
        "topic": reverse("repository:topic", kwargs={"slug": topic.slug}),
        "certificate lookup": reverse("events:certificate_lookup"),
        "certificate verify": registration.certificate.verification_path(),
        "certificate verify, unknown code": reverse(
            "events:certificate_verify", kwargs={"code": "ABCD-EFGH-JKLM"}
        ),
        "sign in": reverse("account_login"),
        "sign up": reverse("account_signup"),
        "password reset": reverse("account_reset_password"),
        "my account": reverse("accounts:overview"),
        "my registrations": reverse("events:my_registrations"),
        "profile": reverse("accounts:profile"),
        "admin login": f"{reverse('account_login')}?next=/admin/",
        "not found": "/en/no-such-page/",
        "events ics": reverse("events:ics_upcoming"),
        "event ics": reverse("events:ics", kwargs={"slug": event.slug}),
        "events atom": reverse("events:atom"),
        "resources atom": reverse("repository:atom"),
        "topic atom": reverse("repository:topic_atom", kwargs={"slug": topic.slug}),
    }


def assert_security_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    hsts = response["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")
    assert "includeSubDomains" in hsts
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


@pytest.mark.parametrize("page", PAGES)
def test_every_page_sends_the_security_headers(client, urls, page):
    signed_in, status = PAGES[page]
    if signed_in:
        client.force_login(UserFactory())
    response = client.get(urls[page], secure=True)
    assert response.status_code == status
    assert_security_headers(response)


@pytest.mark.parametrize("page", PAGES)
def test_no_page_needs_inline_script_or_style(client, urls, page):
    signed_in, _status = PAGES[page]
    if signed_in:
        client.force_login(UserFactory())
    html = client.get(urls[page], secure=True).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        # JSON-LD and json_script data are not executed, so the CSP allows them.
        assert "src=" in tag or "application/ld+json" in tag or "application/json" in tag, tag
    assert not re.search(r"<[^>]+\sstyle=", html)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)
    assert not re.search(r"""(href|src|action)=["']?\s*javascript:""", html, re.IGNORECASE)


@pytest.mark.parametrize("feed", FEEDS)
def test_feeds_send_the_security_headers(client, urls, feed):
    response = client.get(urls[feed], secure=True)
    assert response.status_code == 200
    assert_security_headers(response)


def test_no_hsts_over_plain_http(client):
    # Browsers ignore HSTS over http; sending it there would only hide a misconfiguration.
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert not response.has_header("Strict-Transport-Security")
