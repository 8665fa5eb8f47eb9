"""The page cache for anonymous visitors (lpa_portal/page_cache.py): anonymous pages come from the
cache; nothing personal, nothing with a form that posts, nothing that sets a cookie goes into it."""

import time

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from lpa_portal import page_cache
from tests.factories import EventFactory, ResourceFactory, SessionFactory, UserFactory

HIT = page_cache.HIT_HEADER


@pytest.fixture
def cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60
    return settings


@pytest.fixture
def event(db):
    event = EventFactory(title="Aseptic processing workshop", capacity=20)
    SessionFactory.create_batch(3, event=event)
    return event


def _queries(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, len(queries)


def _cached_keys() -> int:
    # The local-memory cache of the tests; count the page cache's entries only.
    return sum(1 for key in cache._cache if page_cache.KEY_PREFIX in key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/en/",
        "/en/events/?format=online",
        "/en/resources/",
        "/en/resources/?q=guidance",
    ],
)
def test_an_anonymous_second_visit_is_served_from_the_cache_without_queries(
    client, cache_on, url, django_assert_max_num_queries
):
    EventFactory.create_batch(15)
    ResourceFactory.create_batch(15)
    first, first_queries = _queries(client, url)
    assert first.status_code == 200
    assert HIT not in first
    assert first_queries > 0

    with django_assert_max_num_queries(0):
        second = client.get(url)
    assert second.status_code == 200
    assert second[HIT] == "hit"
    assert second.content == first.content
    # The headers of the page (its security policy among them) come back too.
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["X-Frame-Options"] == "DENY"
    assert "Cookie" in second["Vary"]
    assert not second.cookies


@pytest.mark.django_db
def test_the_event_and_resource_pages_are_cached_for_anonymous_visitors(client, cache_on, event):
    resource = ResourceFactory()
    for url in (event.get_absolute_url(), resource.get_absolute_url()):
        assert HIT not in client.get(url)
        _response, queries = _queries(client, url)
        assert _response[HIT] == "hit"
        assert queries == 0


@pytest.mark.django_db
def test_the_cache_is_off_by_default_in_tests_and_with_zero_seconds(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 0  # the kept parts of pages alone would make no query
    client.get("/en/")
    response, queries = _queries(client, "/en/")
    assert HIT not in response
    assert queries > 0
    assert _cached_keys() == 0


@pytest.mark.django_db
def test_a_signed_in_page_is_never_stored_nor_served_from_the_cache(client, cache_on, event):
    person = UserFactory(full_name="Amina Okafor")
    url = event.get_absolute_url()

    client.force_login(person)
    signed_in = client.get(url)
    assert signed_in.status_code == 200
    assert HIT not in signed_in
    assert b"Amina Okafor" in signed_in.content or b"Sign out" in signed_in.content
    assert _cached_keys() == 0  # nothing of a signed-in visit was stored

    # An anonymous visit fills the cache; the signed-in person still gets their own page.
    anonymous = client.__class__()
    anonymous.get(url)
    assert anonymous.get(url)[HIT] == "hit"
    again = client.get(url)
    assert HIT not in again
    assert b"Sign out" in again.content
    assert b"csrfmiddlewaretoken" in again.content  # the registration form is theirs
    assert b"Sign out" not in anonymous.get(url).content


@pytest.mark.django_db
def test_a_signed_in_page_does_not_leak_to_anonymous_visitors(client, cache_on, event):
    person = UserFactory(full_name="Amina Okafor")
    client.force_login(person)
    client.get(event.get_absolute_url())
    anonymous = client.__class__().get(event.get_absolute_url())
    assert HIT not in anonymous
    assert b"Amina Okafor" not in anonymous.content
    assert b"Sign out" not in anonymous.content


@pytest.mark.django_db
def test_a_page_with_a_form_that_posts_is_never_cached(client, cache_on, monkeypatch):
    # The sign-in page has a CSRF token; even marked as cacheable it must not be stored.
    from django.urls import resolve

    from accounts.cache import PAGE_CACHE_MARK

    monkeypatch.setattr(resolve("/en/accounts/login/").func, PAGE_CACHE_MARK, True, raising=False)
    first = client.get("/en/accounts/login/")
    assert first.status_code == 200
    assert b"csrfmiddlewaretoken" in first.content
    second = client.get("/en/accounts/login/")
    assert HIT not in second
    assert _cached_keys() == 0


def test_a_response_that_sets_a_cookie_or_uses_the_csrf_token_is_refused(settings):
    settings.PAGE_CACHE_SECONDS = 60
    request = RequestFactory().get("/en/")
    request.user = None
    plain = HttpResponse("ok")
    assert page_cache.response_is_cacheable(request, plain)

    with_cookie = HttpResponse("ok")
    with_cookie.set_cookie("anything", "1")
    assert not page_cache.response_is_cacheable(request, with_cookie)

    private = HttpResponse("ok")
    private["Cache-Control"] = "private"
    assert not page_cache.response_is_cacheable(request, private)

    assert not page_cache.response_is_cacheable(request, HttpResponse("moved", status=302))

    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    assert not page_cache.response_is_cacheable(request, plain)


@pytest.mark.django_db
def test_a_visitor_with_a_session_or_pending_messages_is_not_served_from_the_cache(
    client, cache_on
):
    client.get("/en/")
    assert client.get("/en/")[HIT] == "hit"

    client.cookies["sessionid"] = "a-session-key-that-exists-nowhere"
    assert HIT not in client.get("/en/")
    del client.cookies["sessionid"]

    # A message waiting in the cookie (e.g. "You have signed out.") must be shown, not skipped.
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(message_levels.INFO, "You have signed out.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value
    response = client.get("/en/")
    assert HIT not in response
    assert b"You have signed out." in response.content


@pytest.mark.django_db
def test_a_csrf_cookie_alone_does_not_prevent_the_cache(client, cache_on):
    client.get("/en/")
    client.cookies["csrftoken"] = "x" * 32
    assert client.get("/en/")[HIT] == "hit"


@pytest.mark.django_db
def test_each_language_and_each_query_has_its_own_entry(client, cache_on):
    english = client.get("/en/events/")
    french = client.get("/fr/events/")
    assert HIT not in french
    assert french.content != english.content
    assert client.get("/fr/events/")[HIT] == "hit"
    assert HIT not in client.get("/en/events/?format=online")
    assert client.get("/en/events/")[HIT] == "hit"


@pytest.mark.django_db
def test_pages_outside_the_list_are_not_cached(client, cache_on):
    client.get("/en/about/")
    assert HIT not in client.get("/en/about/")
    client.get("/healthz")
    assert HIT not in client.get("/healthz")
    assert _cached_keys() == 0


@pytest.mark.django_db
def test_a_change_by_staff_shows_once_the_short_lifetime_is_over(client, settings):
    settings.PAGE_CACHE_SECONDS = 1
    event = EventFactory(title="Cleaning validation clinic")
    url = event.get_absolute_url()
    client.get(url)
    event.title = "Cleaning validation clinic (new dates)"
    event.save()
    assert b"(new dates)" not in client.get(url).content  # still the cached copy
    time.sleep(1.2)
    fresh = client.get(url)
    assert HIT not in fresh
    assert b"(new dates)" in fresh.content


@pytest.mark.django_db
def test_a_missing_page_is_not_cached(client, cache_on):
    assert client.get("/en/events/no-such-event/").status_code == 404
    assert _cached_keys() == 0


@pytest.mark.django_db
def test_pages_are_served_while_the_cache_is_unreachable(client, cache_on, monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise ConnectionError("cache server down")

    monkeypatch.setattr(page_cache.cache, "get", unreachable)
    monkeypatch.setattr(page_cache.cache, "set", unreachable)
    response = client.get("/en/")
    assert response.status_code == 200
    assert HIT not in response
    assert "Page cache unreachable" in caplog.text


@pytest.mark.django_db
def test_a_page_is_served_when_storing_it_fails(client, cache_on, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("cache server down")

    monkeypatch.setattr(page_cache.cache, "set", unreachable)
    assert client.get("/en/events/").status_code == 200
    assert HIT not in client.get("/en/events/")
