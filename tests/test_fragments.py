"""Parts of pages kept in the cache for everyone (lpa_portal/fragments.py): a kept part is served
again, any change to the content shows at once, each kind of visitor gets their own, and nothing
personal (the registration box, a form's CSRF token) is ever kept."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from events.models import Event, Registration
from lpa_portal import fragments
from repository.models import SearchQuery
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    SpeakerFactory,
    TopicFactory,
    UserFactory,
)

HOME_EVENTS = "lpa_portal.views.event_selectors.upcoming_events"


@pytest.fixture(autouse=True)
def _parts_on(settings):
    settings.FRAGMENT_CACHE_SECONDS = 120


@pytest.fixture
def event(db):
    event = EventFactory(title="Aseptic processing workshop", capacity=20)
    session = SessionFactory(event=event, title="Media fills")
    session.speakers.add(SpeakerFactory(name="Dr Amina Diallo"))
    return event


@pytest.fixture
def resource(db):
    resource = ResourceFactory(title="Cleaning validation guide", slug="cleaning-validation")
    ResourceFileFactory(resource=resource)
    return resource


def _get(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode(), len(queries)


def _urls(event, resource):
    return [
        "/en/",
        "/en/events/",
        event.get_absolute_url(),
        "/en/resources/",
        "/en/resources/?q=cleaning",
        resource.get_absolute_url(),
    ]


@pytest.mark.django_db
def test_a_kept_part_is_served_again_with_fewer_queries_and_the_same_html(client, event, resource):
    for url in _urls(event, resource):
        first, cold = _get(client, url)
        again, warm = _get(client, url)
        assert again == first, url
        assert warm < cold, (url, cold, warm)


@pytest.mark.django_db
def test_with_the_parts_off_every_page_is_made_afresh(client, settings, event, resource):
    settings.FRAGMENT_CACHE_SECONDS = 0
    for url in _urls(event, resource):
        # Two visitors, each of whose searches is logged once.
        _first, cold = _get(client, url, REMOTE_ADDR="203.0.113.1")
        _again, warm = _get(client, url, REMOTE_ADDR="203.0.113.2")
        assert warm == cold, url


@pytest.mark.django_db
def test_edits_to_an_event_its_sessions_and_speakers_show_at_once(client, event):
    url = event.get_absolute_url()
    assert "Media fills" in _get(client, url)[0]
    event.title = "Sterile manufacturing workshop"
    event.save()
    assert "Sterile manufacturing workshop" in _get(client, url)[0]
    assert "Sterile manufacturing workshop" in _get(client, "/en/events/")[0]
    session = event.sessions.get()
    session.title = "Environmental monitoring"
    session.save()
    assert "Environmental monitoring" in _get(client, url)[0]
    session.speakers.add(SpeakerFactory(name="Ing. Pedro Alves"))
    html = _get(client, url)[0]
    assert "Ing. Pedro Alves" in html and "Dr Amina Diallo" in html
    session.delete()
    assert "Environmental monitoring" not in _get(client, url)[0]


@pytest.mark.django_db
def test_edits_to_resources_show_at_once_on_the_lists_and_on_the_event_page(
    client, event, resource
):
    event.materials.add(resource)
    for url in (event.get_absolute_url(), "/en/resources/", "/en/", resource.get_absolute_url()):
        assert "Cleaning validation guide" in _get(client, url)[0], url
    resource.title = "Process validation guide"
    resource.save()
    for url in (event.get_absolute_url(), "/en/resources/", "/en/", resource.get_absolute_url()):
        html = _get(client, url)[0]
        assert "Process validation guide" in html, url
        assert "Cleaning validation guide" not in html, url
    topic = TopicFactory(name="Water for injection")
    resource.topics.add(topic)
    assert "Water for injection" in _get(client, resource.get_absolute_url())[0]
    resource.status = "draft"
    resource.save()
    assert "Process validation guide" not in _get(client, "/en/resources/")[0]
    assert client.get(resource.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_registrations_and_downloads_leave_the_kept_parts_alone(event):
    before = fragments.data_versions()
    RegistrationFactory(event=event)
    Registration.objects.update(status="cancelled")
    assert fragments.data_versions() == before
    event.save()
    assert fragments.data_versions() != before


@pytest.mark.django_db
def test_each_visitor_gets_their_own_registration_box_and_csrf_token(client, event):
    url = event.get_absolute_url()
    registered = UserFactory()
    RegistrationFactory(event=event, user=registered)
    other = UserFactory()
    client.force_login(registered)
    mine = _get(client, url)[0]
    client.force_login(other)
    theirs = _get(client, url)[0]
    # The second page's body came from the kept part; its box and form are the visitor's own.
    assert "Dr Amina Diallo" in mine and "Dr Amina Diallo" in theirs
    assert "You are registered" in mine
    assert "You are registered" not in theirs
    assert 'name="csrfmiddlewaretoken"' in theirs
    client.logout()
    anonymous = _get(client, url)[0]
    assert "csrfmiddlewaretoken" not in anonymous
    assert "You are registered" not in anonymous


@pytest.mark.django_db
def test_restricted_files_are_kept_apart_for_each_access_level(client):
    resource = ResourceFactory(title="Inspection report", access_level=2)
    file = ResourceFileFactory(resource=resource)
    download = f"/files/{file.pk}/download/"
    regulator = UserFactory(is_verified_regulator=True, organisation_type="regulator")
    client.force_login(regulator)
    assert download in _get(client, resource.get_absolute_url())[0]
    client.force_login(UserFactory())
    html = _get(client, resource.get_absolute_url())[0]
    assert download not in html
    assert "Only verified regulators and WHO staff can open these files" in html
    client.logout()
    html = _get(client, resource.get_absolute_url())[0]
    assert download not in html
    assert "Sign in to open the files" in html


@pytest.mark.django_db
def test_a_draft_previewed_by_staff_is_never_shown_to_the_public(client, staff_user):
    draft = EventFactory(title="Embargoed workshop", status="draft")
    client.force_login(staff_user)
    assert "Embargoed workshop" in _get(client, draft.get_absolute_url())[0]
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Embargoed workshop" not in _get(client, "/en/events/")[0]


@pytest.mark.django_db
def test_every_search_is_logged_even_when_its_results_were_kept(client, resource):
    # Two visitors (a visitor's repeat within the hour is logged once: tests/security).
    _get(client, "/en/resources/?q=cleaning", REMOTE_ADDR="203.0.113.1")
    _get(client, "/en/resources/?q=cleaning", REMOTE_ADDR="203.0.113.2")
    _get(client, "/en/resources/?q=cleaning&page=2", REMOTE_ADDR="203.0.113.3")
    logged = list(SearchQuery.objects.values_list("query", "results"))
    assert logged == [("cleaning", 1), ("cleaning", 1)]


@pytest.mark.django_db
def test_what_changes_with_time_alone_shows_within_a_minute(client, monkeypatch):
    soon = timezone.now() + timedelta(seconds=30)
    event = EventFactory(title="Ending soon", start=soon - timedelta(days=1), end=soon)
    assert "Ending soon" in _get(client, "/en/events/")[0]
    assert "Ending soon" not in _get(client, "/en/events/?when=past")[0]
    later = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "Ending soon" not in _get(client, "/en/events/")[0]
    assert "Ending soon" in _get(client, "/en/events/?when=past")[0]
    assert event.is_past


def test_a_part_holding_a_csrf_token_is_not_kept(db):
    calls = []

    def render():
        calls.append(1)
        return {"form": mark_safe('<input type="hidden" name="csrfmiddlewaretoken" value="x">')}

    fragments.cached_part("form", (), render)
    fragments.cached_part("form", (), render)
    assert len(calls) == 2


class _Unreachable:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


@pytest.mark.django_db
def test_pages_are_made_while_the_cache_is_unreachable(client, monkeypatch, event, resource):
    monkeypatch.setattr(fragments, "cache", _Unreachable())
    for url in _urls(event, resource):
        _get(client, url)
    event.title = "Renamed while the cache is down"
    event.save()  # the write does not fail either
    assert "Renamed while the cache is down" in _get(client, event.get_absolute_url())[0]


@pytest.mark.django_db
def test_kept_parts_still_serve_anonymous_visitors_while_the_database_fails(client):
    EventFactory(title="Quality risk management course")
    assert "Quality risk management course" in _get(client, "/en/")[0]
    failing = OperationalError("server closed the connection unexpectedly")
    with mock.patch(HOME_EVENTS, side_effect=failing):
        html = _get(client, "/en/")[0]
        assert "Quality risk management course" in html
        # A part not kept yet needs the database: the friendly 503 page.
        response = client.get("/fr/")
    assert response.status_code == 503


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_cache_table_does_not_spoil_the_transaction_of_an_edit(monkeypatch, event):
    # A cache kept in a database table (CACHE_URL=dbcache://...) whose table is missing: the
    # data version cannot be written, and PostgreSQL would refuse every later statement of the
    # transaction if the failure were not confined to a savepoint.
    monkeypatch.setattr(fragments, "cache", DatabaseCache("no_such_cache_table", {}))
    with transaction.atomic():
        event.title = "Renamed with the cache down"
        event.save()
        SessionFactory(event=event, title="Added with the cache down")
        assert Event.objects.get(pk=event.pk).title == "Renamed with the cache down"
    assert event.sessions.filter(title="Added with the cache down").exists()


def test_kept_html_comes_back_safe_and_plain_values_as_they_were(db):
    def render():
        return {"html": mark_safe("<p>Kept</p>"), "text": "<p>escaped</p>", "count": 3}

    made = fragments.cached_part("values", (), render)
    kept = fragments.cached_part("values", (), lambda: pytest.fail("made again"))
    assert kept == made
    assert isinstance(kept["html"], SafeString)
    assert not isinstance(kept["text"], SafeString)
    assert kept["count"] == 3


def _at(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def _hold_the_making_mark(name):
    key, _previous = fragments.part_keys(name, ())
    assert cache.add(key + fragments.MAKING, 1, fragments.MAKING_SECONDS)


def test_while_one_request_remakes_a_part_the_others_get_the_one_of_the_minute_before(
    db, monkeypatch
):
    start = timezone.now().replace(second=10)
    _at(monkeypatch, start)
    fragments.cached_part("list", (), lambda: {"html": "made at first"})
    _at(monkeypatch, start + timedelta(minutes=1))
    _hold_the_making_mark("list")  # another request is making it for the new minute
    kept = fragments.cached_part("list", (), lambda: pytest.fail("made twice at once"))
    assert kept == {"html": "made at first"}


def test_after_a_content_change_the_part_of_the_minute_before_is_never_served(db, monkeypatch):
    start = timezone.now().replace(second=10)
    _at(monkeypatch, start)
    fragments.cached_part("list", (), lambda: {"html": "before the change"})
    fragments.bump("events")
    _at(monkeypatch, start + timedelta(minutes=1))
    _hold_the_making_mark("list")
    assert fragments.cached_part("list", (), lambda: {"html": "after"}) == {"html": "after"}


def test_a_part_is_made_once_then_kept_for_the_minute(db):
    calls = []

    def render():
        calls.append(1)
        return {"html": "list"}

    for _ in range(3):
        fragments.cached_part("list", (), render)
    assert len(calls) == 1
