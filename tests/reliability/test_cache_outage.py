"""Redis, the shared cache, goes away: pages are still served (made from scratch), nobody is
signed out, sign-in is refused with a clear message (its rate limits cannot count), downloads go
on and are counted; when Redis is back, caching resumes by itself.

A real redis-server on a free port, stopped and started again under the portal (in-process, with
Django's Redis backend and the redis client, as production runs it).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from repository.models import DownloadEvent
from tests.factories import PASSWORD, EventFactory, ResourceFileFactory, UserFactory
from tests.reliability.servers import redis_server

pytestmark = pytest.mark.django_db

HIT = "X-Page-Cache"
TRY_AGAIN = "Please try again in a few minutes"


@pytest.fixture
def redis(settings, tmp_path):
    server = redis_server(tmp_path)
    previous = settings.CACHES
    settings.CACHES = {
        **previous,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    settings.PAGE_CACHE_SECONDS = 60
    yield server
    settings.CACHES = previous  # the suite's own cache, which it clears after each test
    server.stop()


def sign_in(client, email: str):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )


def test_pages_are_cached_in_redis_while_it_is_up(client, redis):
    EventFactory(title="Sterile manufacturing workshop")
    assert HIT not in client.get("/en/events/")
    second = client.get("/en/events/")
    assert second[HIT] == "hit"
    assert "Sterile manufacturing workshop" in second.content.decode()


def test_while_redis_is_down_pages_are_made_and_nobody_is_signed_out(client, redis):
    EventFactory(title="Sterile manufacturing workshop")
    person = UserFactory(full_name="Amina Okafor")
    signed_in = client.__class__()
    signed_in.force_login(person)
    client.get("/en/events/")

    redis.stop()

    for _ in range(2):
        page = client.get("/en/events/")
        assert page.status_code == 200
        assert HIT not in page  # made from scratch, not from the unreachable cache
        assert "Sterile manufacturing workshop" in page.content.decode()
    account = signed_in.get(reverse("accounts:overview"))
    assert account.status_code == 200
    assert "Amina Okafor" in account.content.decode()


def test_while_redis_is_down_sign_in_is_refused_with_a_message(client, redis):
    person = UserFactory()
    redis.stop()

    response = sign_in(client, person.email)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert TRY_AGAIN in html
    assert "the service that counts attempts to protect accounts is not answering" in html
    assert "_auth_user_id" not in client.session  # fail closed: nobody signed in


def test_while_redis_is_down_downloads_go_on_and_are_counted(client, redis):
    resource_file = ResourceFileFactory()
    url = reverse(
        "repository:download",
        kwargs={"slug": resource_file.resource.slug, "file_id": resource_file.pk},
    )
    redis.stop()

    response = client.get(url, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 Firefox")
    again = client.get(url, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 Firefox")

    assert response.status_code == again.status_code == 200
    # Repeats are told apart by the database alone while the cache is down: counted once.
    assert DownloadEvent.objects.filter(file=resource_file).count() == 1


def test_when_redis_is_back_caching_and_sign_in_resume_by_themselves(client, redis):
    EventFactory(title="Sterile manufacturing workshop")
    person = UserFactory()
    redis.stop()
    client.get("/en/events/")
    assert sign_in(client, person.email).status_code == 503

    redis.start()

    client.get("/en/events/")
    assert client.get("/en/events/")[HIT] == "hit"
    response = sign_in(client, person.email)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
