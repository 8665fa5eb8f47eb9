"""Stored and reflected XSS: whatever people type comes out inert, escaped as text or stripped
by the Markdown sanitiser, on every page that shows it (public pages, my account, the admin,
feeds) and in the CSV export, where a formula is neutralised."""

import csv
import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.groups import EVENT_MANAGERS
from events.attendance import attendance_mark
from events.models import Question, Registration
from tests.factories import (
    EventFactory,
    QAItemFactory,
    RegistrationFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    SpeakerFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
# Breaks out of an attribute, a JSON-LD <script> block and a tag, then tries a handler.
PLAIN = f"\"'></script>{SCRIPT}<img src=x onerror=alert(1)>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
MARKDOWN = "\n\n".join(
    [
        "Marker paragraph.",
        SCRIPT,
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">link</a>',
        '<a href="JaVaScRiPt:alert(1)">link</a>',
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<iframe src="https://evil.example/"></iframe>',
        '<p style="background:url(javascript:alert(1))">styled</p>',
    ]
)


class _ActiveContent(HTMLParser):
    """Collects what a browser would run: script bodies, event handlers, script URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in ("iframe", "object", "embed", "base"):
            self.found.append(f"<{tag}>")
        if tag == "script":
            # JSON-LD and json_script data are not run; a value that closed their block early
            # would start a new <script> below, which is.
            self._in_script = "json" not in (dict(attrs).get("type") or "")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value}>")
            url = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in ("href", "src", "action", "formaction", "xlink:href") and url.startswith(
                ("javascript:", "vbscript:", "data:text")
            ):
                self.found.append(f"<{tag} {name}={value}>")
            if tag == "img" and name == "src" and value == "x":
                self.found.append("<img src=x>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(1)" in data:
            self.found.append(f"<script>{data}</script>")


def assert_inert(html: str):
    assert SCRIPT not in html
    parser = _ActiveContent()
    parser.feed(html)
    parser.close()
    assert parser.found == []


def get_html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- people's names and answers ------------------------------------------------------------------


@pytest.fixture
def attendee():
    """Someone who typed a payload as name and organisation and attended a past event."""
    end = timezone.now() - timedelta(days=2)
    event = EventFactory(start=end - timedelta(days=1), end=end)
    session = SessionFactory(event=event)
    user = UserFactory(full_name=PLAIN, organisation=PLAIN, job_title=PLAIN)
    registration = RegistrationFactory(event=event, user=user)
    attendance_mark(registrations=[registration], sessions=[session])
    registration.refresh_from_db()
    return registration


def test_name_and_organisation_in_my_account(client, attendee):
    client.force_login(attendee.user)
    for url in (reverse("accounts:overview"), reverse("accounts:profile")):
        html = get_html(client, url)
        assert_inert(html)
    assert ESCAPED_SCRIPT in get_html(client, reverse("accounts:overview"))


def test_name_on_the_certificate_verification_page(client, attendee):
    html = get_html(client, attendee.certificate.verification_path())
    assert_inert(html)
    assert ESCAPED_SCRIPT in html


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_user_changelist",
        "admin:accounts_user_change",
        "admin:events_registration_changelist",
        "admin:events_registration_change",
    ],
)
def test_name_and_organisation_in_the_admin(admin_client, attendee, url_name):
    kwargs = {}
    if url_name.endswith("user_change"):
        kwargs = {"object_id": attendee.user.pk}
    elif url_name.endswith("registration_change"):
        kwargs = {"object_id": attendee.pk}
    html = get_html(admin_client, reverse(url_name, kwargs=kwargs))
    assert_inert(html)
    assert "&lt;script&gt;" in html


@pytest.fixture
def registered_with_answers(client):
    """A registration made through the form, with payloads as the answers."""
    event = EventFactory()
    short = Question.objects.create(event=event, label=PLAIN, kind="short_text")
    long = Question.objects.create(event=event, label="Why?", kind="long_text")
    formula = Question.objects.create(event=event, label="=1+1", kind="short_text")
    user = UserFactory(full_name='=HYPERLINK("https://evil.example","Click")')
    client.force_login(user)
    response = client.post(
        event.get_absolute_url(),
        {
            "consent": "on",
            f"q{short.pk}": PLAIN,
            f"q{long.pk}": MARKDOWN,
            f"q{formula.pk}": "@SUM(1+1)*cmd|' /C calc'!A0",
        },
    )
    assert response.status_code == 302
    client.logout()
    return Registration.objects.get(event=event, user=user)


def test_answers_on_the_admin_registration_page(admin_client, registered_with_answers):
    url = reverse(
        "admin:events_registration_change", kwargs={"object_id": registered_with_answers.pk}
    )
    html = get_html(admin_client, url)
    assert_inert(html)
    assert ESCAPED_SCRIPT in html


def test_answers_in_the_event_managers_admin(client, registered_with_answers):
    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name=EVENT_MANAGERS))
    client.force_login(manager)
    url = reverse(
        "admin:events_registration_change", kwargs={"object_id": registered_with_answers.pk}
    )
    assert_inert(get_html(client, url))


def test_the_csv_export_neutralises_formulas(admin_client, registered_with_answers):
    event = registered_with_answers.event
    response = admin_client.get(
        reverse("admin:events_event_registrations_csv", kwargs={"object_id": event.pk})
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'=1+1" in cells
    assert '\'=HYPERLINK("https://evil.example","Click")' in cells
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_the_admin_action_export_neutralises_formulas(admin_client, registered_with_answers):
    response = admin_client.post(
        reverse("admin:events_registration_changelist"),
        {"action": "export_csv", "_selected_action": [registered_with_answers.pk]},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("https://evil.example","Click")' in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


# --- events: titles, Markdown, sessions, speakers -----------------------------------------------


@pytest.fixture
def event():
    topic = TopicFactory(name=PLAIN, slug="xss-topic")
    event = EventFactory(title=PLAIN, summary=PLAIN, description=MARKDOWN)
    event.programme.name = PLAIN
    event.programme.description = MARKDOWN
    event.programme.save()
    event.topics.add(topic)
    session = SessionFactory(event=event, title=PLAIN, description=MARKDOWN, topic=topic)
    session.speakers.add(SpeakerFactory(name=PLAIN, title=PLAIN, organisation=PLAIN, bio=MARKDOWN))
    return event


@pytest.mark.parametrize("page", ["event", "events", "home", "programme"])
def test_event_fields_on_public_pages(client, event, page):
    url = {
        "event": event.get_absolute_url(),
        "events": reverse("events:list"),
        "home": reverse("home"),
        "programme": reverse("events:programme", kwargs={"slug": event.programme.slug}),
    }[page]
    html = get_html(client, url)
    assert_inert(html)
    assert "&lt;script&gt;" in html


def test_markdown_is_rendered_but_sanitised(client, event):
    html = get_html(client, event.get_absolute_url())
    assert "<p>Marker paragraph.</p>" in html
    assert "javascript:" not in html.lower()
    assert "data:text/html" not in html


def test_event_fields_on_the_admin_pages(admin_client, event):
    for url in (
        reverse("admin:events_event_changelist"),
        reverse("admin:events_event_change", kwargs={"object_id": event.pk}),
    ):
        assert_inert(get_html(admin_client, url))


def test_event_fields_in_the_atom_feed(client, event):
    response = client.get(reverse("events:atom"))
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()


# --- the repository ------------------------------------------------------------------------------


@pytest.fixture
def resource():
    topic = TopicFactory(name=PLAIN, slug="xss-topic")
    resource = ResourceFactory(title=PLAIN, summary=PLAIN, body=MARKDOWN, kind="qa_report")
    resource.topics.add(topic)
    QAItemFactory(resource=resource, question=PLAIN, answer=MARKDOWN)
    ResourceFileFactory(resource=resource, title=PLAIN)
    return resource


@pytest.mark.parametrize("page", ["resource", "resources", "topic", "search"])
def test_repository_fields_on_public_pages(client, resource, page):
    url = {
        "resource": reverse("repository:detail", kwargs={"slug": resource.slug}),
        "resources": reverse("repository:list"),
        "topic": reverse("repository:topic", kwargs={"slug": "xss-topic"}),
        "search": reverse("repository:list") + "?q=alert",
    }[page]
    html = get_html(client, url)
    assert_inert(html)
    assert "&lt;script&gt;" in html


def test_the_resource_page_shows_every_field_escaped(client, resource):
    html = get_html(client, reverse("repository:detail", kwargs={"slug": resource.slug}))
    assert "<p>Marker paragraph.</p>" in html  # body and answer, as Markdown
    assert "javascript:" not in html.lower()
    # title, summary, question, file title, topic: each shown as text
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 4


def test_repository_fields_in_the_admin(admin_client, resource):
    for url in (
        reverse("admin:repository_resource_changelist"),
        reverse("admin:repository_resource_change", kwargs={"object_id": resource.pk}),
        reverse("admin:repository_topic_changelist"),
    ):
        assert_inert(get_html(admin_client, url))


@pytest.mark.parametrize("feed", ["repository:atom", "topic"])
def test_repository_fields_in_the_feeds(client, resource, feed):
    url = (
        reverse("repository:topic_atom", kwargs={"slug": "xss-topic"})
        if feed == "topic"
        else reverse(feed)
    )
    response = client.get(url)
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()


# --- reflected: the search words -----------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["events:list", "repository:list"])
@pytest.mark.parametrize(
    "query",
    [SCRIPT, PLAIN, '" onfocus="alert(1)" autofocus="', "javascript:alert(1)"],
)
def test_the_search_words_are_reflected_escaped(client, url_name, query):
    EventFactory(title="Cleaning validation")
    ResourceFactory(title="Cleaning validation")
    html = get_html(client, reverse(url_name) + "?" + f"q={_quote(query)}&topic={_quote(query)}")
    assert_inert(html)
    assert 'onfocus="alert(1)"' not in html


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
