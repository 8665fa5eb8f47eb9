"""Oversized and malformed input is refused or ignored with a 4xx (or an ordinary page), never a
server error."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import (
    PASSWORD,
    EventFactory,
    ResourceFactory,
    ResourceFileFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LISTS = ["/en/events/", "/en/resources/"]

# Raw query strings, sent as they are (not encoded again by the test client).
QUERY_STRINGS = {
    "NUL in q": "q=water%00systems",
    "NUL alone": "q=%00",
    "very long q": "q=" + "a" * 10_000,
    "very long q of words": "q=" + "gmp%20" * 2_000,
    "very long topic": "topic=" + "x" * 10_000,
    "NUL in a filter": "topic=%00&programme=%00&region=%00&type=%00&format=%00",
    "NUL in page": "page=1%00",
    "NUL in year": "year=20%0024",
    "invalid UTF-8": "q=%ff%fe&topic=%c3%28",
    "invalid UTF-8 in a choice": "format=%ff&type=%fe&sort=%80",
    "lone surrogate": "q=%ed%a0%80",
    "huge page": "page=99999999999999999999999999",
    "huge page that is last": "page=9223372036854775808",
    "negative page": "page=-1",
    "page zero": "page=0",
    "page not a number": "page=abc",
    "page as float": "page=1.5",
    "page last": "page=last",
    "repeated parameters": "q=a&q=b&page=1&page=2&topic=x&topic=y&sort=title&sort=-date",
    "empty values": "q=&page=&year=&open=&when=&sort=",
    "year not a number": "year=abc",
    "year as a date": "year=2024-13-45",
    "year out of range": "year=99999999999999999999",
    "year NaN": "year=NaN",
    "year infinity": "year=Infinity",
    "year exponent": "year=1e309",
    "negative year": "year=-2024",
    "malformed date": "when=2024-02-30&date=not-a-date",
    "open not a boolean": "open=maybe",
    "unknown sort": "sort=__class__",
    "sort by a private field": "sort=search_full",
    "brackets": "q[]=a&topic[x]=b",
    "only an equals sign": "=",
    "no values": "q&page&topic",
    "percent alone": "q=%&topic=%%",
    "SQL": "q=%27%3B%20DROP%20TABLE%20events_event%3B--&topic=%27%20OR%201%3D1--",
    "search syntax": "q=%22unclosed&topic=a%7Cb%26c%21",
    "many words": "q=" + "%20".join(f"w{i}" for i in range(500)),
}


@pytest.fixture
def data():
    topic = TopicFactory(slug="cleaning")
    event = EventFactory()
    event.topics.add(topic)
    resource = ResourceFactory()
    resource.topics.add(topic)
    return event, resource


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("name", QUERY_STRINGS)
def test_list_pages_survive_malformed_query_strings(client, data, path, name):
    response = client.get(path, QUERY_STRING=QUERY_STRINGS[name])
    assert response.status_code < 500
    assert response.status_code in (200, 301, 302, 400, 404)


@pytest.mark.parametrize("query_string", ["q=water%00systems", "q=%00"])
def test_nul_bytes_in_the_event_search(client, data, query_string):
    response = client.get("/en/events/", QUERY_STRING=query_string)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("path", LISTS)
def test_page_numbers_out_of_range_show_the_last_page(client, data, path):
    for page in ("99999999999999999999999999", "-1", "0", "abc"):
        response = client.get(path, {"page": page})
        assert response.status_code in (200, 404), page


@pytest.mark.parametrize(
    "path",
    [
        "/en/",
        "/en/events/",
        "/en/resources/",
        "/en/certificates/",
        "/en/events/feed/",
        "/en/events/calendar.ics",
        "/en/accounts/login/",
    ],
)
def test_too_many_fields_in_a_query_string_is_a_bad_request(client, data, path):
    query = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.get(path, QUERY_STRING=query)
    # Pages that never read their parameters may still answer; none may fail.
    assert response.status_code in (200, 400)
    if path in ("/en/events/", "/en/resources/", "/en/certificates/"):
        assert response.status_code == 400


def test_too_many_fields_in_a_sign_in_post_is_a_bad_request(client):
    fields = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post(reverse("account_login"), fields)
    assert response.status_code == 400


def test_too_many_fields_in_a_registration_post_is_a_bad_request(client, data):
    event, _resource = data
    client.force_login(UserFactory())
    fields = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post(event.get_absolute_url(), fields)
    assert response.status_code == 400
    assert not event.registrations.exists()


@pytest.mark.parametrize("url_name", ["account_login", "account_signup", "account_reset_password"])
def test_a_body_above_the_memory_limit_is_a_bad_request(client, url_name):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(reverse(url_name), {"login": big, "email": big, "password": "x"})
    assert response.status_code == 400


def test_a_profile_post_above_the_memory_limit_is_a_bad_request(client, user):
    client.force_login(user)
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(reverse("accounts:profile"), {"full_name": big})
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.full_name != big


@pytest.mark.parametrize(
    ("url_name", "value"),
    [
        ("account_login", "\x00"),
        ("account_login", "a" * 100_000),
        ("account_signup", "\x00@example.org"),
        ("account_signup", "a" * 100_000 + "@example.org"),
        ("account_reset_password", "\x00@example.org"),
        ("account_reset_password", "a" * 100_000 + "@example.org"),
    ],
)
def test_malformed_account_forms_are_form_errors(client, url_name, value):
    response = client.post(
        reverse(url_name),
        {"login": value, "email": value, "password": value, "password1": value, "password2": value},
    )
    assert response.status_code in (200, 400, 429)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "field",
    ["full_name", "organisation", "job_title", "country", "time_zone", "preferred_language"],
)
@pytest.mark.parametrize("value", ["\x00", "a" * 10_000, "Ab\x00c"])
def test_malformed_profile_values_are_form_errors(client, user, field, value):
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Ada", "organisation": "Agency", "country": "KE", field: value},
    )
    assert response.status_code in (200, 302)
    user.refresh_from_db()
    assert "\x00" not in str(getattr(user, field, ""))


@pytest.mark.parametrize(
    "value", ["\x00", "%00", "a" * 10_000, "ABCD-EFGH-JKL\x00", "../../etc/passwd"]
)
def test_certificate_lookup_with_malformed_codes(client, value):
    response = client.get(reverse("events:certificate_lookup"), {"code": value})
    assert response.status_code in (200, 302, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/en/certificates/%00/",
        "/en/certificates/" + "A" * 5_000 + "/",
        "/en/certificates/%ff%fe/",
        "/en/events/%00/",
        "/en/events/%ff%fe/",
        "/en/resources/%00/",
        "/en/topics/%00/",
        "/en/programmes/%00/",
        "/en/events/" + "a" * 5_000 + "/",
        "/en/resources/" + "a" * 5_000 + "/",
    ],
)
def test_malformed_slugs_and_codes_are_not_found(client, path):
    # A NUL byte is refused outright (400); other impossible values are simply not found.
    assert client.get(path).status_code == (400 if "%00" in path else 404)


@pytest.mark.parametrize(
    "path",
    [
        "/en/my/registrations/abc/cancel/",
        "/en/my/registrations/-1/cancel/",
        "/en/my/registrations/1.5/feedback/",
        "/en/my/registrations/%00/certificate.pdf",
        "/en/my/registrations/99999999999999999999999/cancel/",
        "/en/my/registrations/9223372036854775808/feedback/",
        "/en/my/registrations/99999999999999999999999/certificate.pdf",
        "/en/resources/{slug}/files/abc/download/",
        "/en/resources/{slug}/files/99999999999999999999999/download/",
        "/en/resources/{slug}/files/9223372036854775808/download/",
    ],
)
def test_ids_that_are_not_ids_are_not_found(client, user, path):
    resource_file = ResourceFileFactory()
    client.force_login(user)
    response = client.get(path.format(slug=resource_file.resource.slug))
    assert response.status_code == (400 if "%00" in path else 404)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/events/event/abc/change/",
        "/admin/events/event/99999999999999999999999/change/",
        "/admin/events/registration/%00/change/",
        "/admin/repository/resource/-1/change/",
        "/admin/accounts/user/9223372036854775808/change/",
        "/admin/events/event/abc/registrations.csv",
    ],
)
def test_admin_pages_of_objects_that_cannot_exist(admin_client, path):
    response = admin_client.get(path)
    # The admin sends back to its index with a message, or answers 404.
    assert response.status_code in ((400,) if "%00" in path else (302, 404))


@pytest.mark.parametrize(
    "query",
    [
        "start__gte=not-a-date",
        "start__date=2024-02-30",
        "id__in=a,b",
        "id=99999999999999999999999",
        "q=%00",
        "q=" + "a" * 10_000,
        "o=999",
        "o=abc",
        "p=-1",
        "p=99999999",
        "unknown_field=1",
        "status=%00",
    ],
)
@pytest.mark.parametrize(
    "url_name",
    [
        "admin:events_event_changelist",
        "admin:events_registration_changelist",
        "admin:repository_resource_changelist",
        "admin:accounts_user_changelist",
    ],
)
def test_admin_changelists_with_malformed_lookups(admin_client, data, url_name, query):
    response = admin_client.get(reverse(url_name), QUERY_STRING=query)
    assert response.status_code in (200, 302, 400, 404)


def test_a_sign_in_with_a_malformed_next_is_not_an_error(client):
    user = UserFactory()
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD, "next": "\x00" + "a" * 10_000},
    )
    assert response.status_code in (200, 302, 400)


def test_nul_bytes_are_refused_with_a_clear_400(client):
    response = client.get("/en/resources/", QUERY_STRING="q=water%00systems")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
