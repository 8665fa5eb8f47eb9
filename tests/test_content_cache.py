"""Parts of pages kept with `{% cache %}` for everyone (accounts/cache.py): a kept part is served
again without its queries, a staff edit shows at once, each kind of visitor gets their own, and
nothing personal (the registration box, a form's CSRF token) is ever kept."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.cache import content_versions
from events import services as event_services
from repository.models import SearchQuery
from repository.search import search_index_rebuild
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    SpeakerFactory,
    UserFactory,
)
from tests.forms import admin_form_data

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
    search_index_rebuild()
    return resource


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _get(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode(), len(queries)


def _kept_urls(event, resource):
    return [
        "/en/",
        "/en/events/",
        event.get_absolute_url(),
        "/en/resources/",
        resource.get_absolute_url(),
    ]


def _admin_change(client, obj, **changes):
    """Change `obj` in the admin, as staff do: the change form posted back with `changes`."""
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    data = admin_form_data(client.get(url))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context.get("errors")


@pytest.mark.django_db
def test_a_kept_part_is_served_again_with_fewer_queries_and_the_same_html(client, event, resource):
    for url in _kept_urls(event, resource):
        first, cold = _get(client, url)
        again, warm = _get(client, url)
        assert again == first, url
        assert warm < cold, (url, cold, warm)


@pytest.mark.django_db
def test_searches_are_made_every_time_and_logged(client, resource):
    """Nearly every search is new: its results are not kept, and each visitor's is logged."""
    _get(client, "/en/resources/?q=quality")  # the process reads the synonyms once
    first, cold = _get(client, "/en/resources/?q=cleaning", REMOTE_ADDR="203.0.113.1")
    again, warm = _get(client, "/en/resources/?q=cleaning", REMOTE_ADDR="203.0.113.2")
    assert "Cleaning validation guide" in first and again == first
    assert warm == cold
    _get(client, "/en/resources/?q=cleaning&page=2", REMOTE_ADDR="203.0.113.3")
    logged = list(SearchQuery.objects.filter(query="cleaning").values_list("query", "results"))
    assert logged == [("cleaning", 1), ("cleaning", 1)]


@pytest.mark.django_db
def test_with_the_parts_off_every_page_is_made_afresh(client, settings, event, resource):
    settings.FRAGMENT_CACHE_SECONDS = 0
    for url in _kept_urls(event, resource):
        _first, cold = _get(client, url)
        _again, warm = _get(client, url)
        assert warm == cold, url


@pytest.mark.django_db
def test_staff_edits_of_an_event_its_sessions_and_speakers_show_at_once(staff_client, event):
    url = event.get_absolute_url()
    assert "Media fills" in _get(staff_client, url)[0]
    assert "Aseptic processing workshop" in _get(staff_client, "/en/events/")[0]
    _admin_change(staff_client, event, title="Sterile manufacturing workshop")
    assert "Sterile manufacturing workshop" in _get(staff_client, url)[0]
    assert "Sterile manufacturing workshop" in _get(staff_client, "/en/events/")[0]
    session = event.sessions.get()
    _admin_change(staff_client, session, title="Environmental monitoring")
    assert "Environmental monitoring" in _get(staff_client, url)[0]
    speaker = session.speakers.get()
    _admin_change(staff_client, speaker, name="Ing. Pedro Alves")
    html = _get(staff_client, url)[0]
    assert "Ing. Pedro Alves" in html and "Dr Amina Diallo" not in html
    # Anonymous visitors' parts are kept apart from staff's, and are renewed too.
    staff_client.logout()
    assert "Environmental monitoring" in _get(staff_client, url)[0]


@pytest.mark.django_db
def test_staff_edits_of_resources_show_at_once_on_every_page_that_shows_them(
    staff_client, event, resource
):
    client = Client()  # an anonymous visitor
    event.materials.add(resource)
    urls = [event.get_absolute_url(), "/en/resources/", "/en/", resource.get_absolute_url()]
    for url in urls:
        assert "Cleaning validation guide" in _get(client, url)[0], url
    _admin_change(staff_client, resource, title="Process validation guide")
    for url in urls:
        html = _get(client, url)[0]
        assert "Process validation guide" in html, url
        assert "Cleaning validation guide" not in html, url
    changelist = reverse("admin:repository_resource_changelist")
    staff_client.post(changelist, {"action": "withdraw", "_selected_action": [resource.pk]})
    assert "Process validation guide" not in _get(client, "/en/resources/")[0]
    assert "Process validation guide" not in _get(client, event.get_absolute_url())[0]
    assert client.get(resource.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_publishing_through_the_service_shows_at_once(client):
    draft = EventFactory(title="Cold chain workshop", status="draft", published_at=None)
    assert "Cold chain workshop" not in _get(client, "/en/events/")[0]
    event_services.event_publish(event=draft)
    assert "Cold chain workshop" in _get(client, "/en/events/")[0]


@pytest.mark.django_db
def test_registrations_and_downloads_leave_the_kept_parts_alone(client, event, resource):
    before = content_versions()
    person = UserFactory()
    registration = event_services.registration_create(event=event, user=person, consent=True)
    event_services.registration_cancel(registration=registration, by=person)
    file = resource.files.get()
    client.get(reverse("repository:download", kwargs={"slug": resource.slug, "file_id": file.pk}))
    assert content_versions() == before


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
def test_no_kept_part_ever_holds_a_csrf_token_or_a_name(client, event, resource):
    person = UserFactory(full_name="Zanele Personal-Name")
    RegistrationFactory(event=event, user=person)
    client.force_login(person)
    for url in _kept_urls(event, resource):
        _get(client, url)
    kept = [value for key, value in caches["default"]._cache.items() if "template.cache" in key]
    assert kept, "the parts were kept"
    for value in kept:
        text = str(value)
        assert "csrfmiddlewaretoken" not in text
        assert "Zanele" not in text


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
def test_what_changes_with_time_alone_shows_once_the_part_expires(client, monkeypatch, settings):
    soon = timezone.now() + timedelta(seconds=30)
    event = EventFactory(title="Ending soon", start=soon - timedelta(days=1), end=soon)
    assert "Ending soon" in _get(client, "/en/events/")[0]
    assert "Ending soon" not in _get(client, "/en/events/?when=past")[0]
    later = settings.FRAGMENT_CACHE_SECONDS + 60
    now, clock = timezone.now(), __import__("time").time()
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=later))
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: clock + later)
    assert "Ending soon" not in _get(client, "/en/events/")[0]
    assert "Ending soon" in _get(client, "/en/events/?when=past")[0]
    assert event.is_past


class _Unreachable:
    def close(self, **kwargs):
        pass  # Django closes caches after each request

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


@pytest.mark.django_db
def test_pages_are_made_while_the_cache_is_unreachable(
    staff_client, client, monkeypatch, event, resource
):
    from accounts.cache import FailSafeCache

    for url in _kept_urls(event, resource):
        _get(client, url)  # kept while the cache works
    with monkeypatch.context() as down:
        down.setattr(caches._connections, "default", _Unreachable(), raising=False)
        for url in _kept_urls(event, resource):
            _get(client, url)
        _admin_change(staff_client, event, title="Renamed while the cache is down")
        assert "Renamed while the cache is down" in _get(client, event.get_absolute_url())[0]
    FailSafeCache._down_until = 0.0  # the cache is back (it is tried again after a few seconds)
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
