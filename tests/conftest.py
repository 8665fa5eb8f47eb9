import os

import pytest
from django.db import connection

from tests.factories import UserFactory


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip on SQLite for a plain local `pytest`, but fail when required.

    `make test` deselects them in its SQLite pass and runs them in its PostgreSQL pass, where
    CI sets REQUIRE_POSTGRES so that they can never be skipped silently.
    """
    if connection.vendor == "postgresql":
        return
    required = bool(os.environ.get("REQUIRE_POSTGRES")) and "DATABASE_URL" in os.environ
    for item in items:
        if "postgres" in item.keywords and not required:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: run `make test` (its PostgreSQL pass)")
            )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROTECTED_MEDIA_ROOT = tmp_path / "protected"


@pytest.fixture(autouse=True)
def _default_language():
    # A request activates its page's language for the thread, and it would stay active for the
    # next test's reverse() and gettext: with six languages, tests begin and end in English.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth's rate limits count in the cache; one test's sign-ups must not throttle another's.
    from django.core.cache import cache

    from accounts.cache import FailSafeCache

    cache.clear()
    FailSafeCache._down_until = 0.0  # a test that broke the cache leaves it working
    yield
    cache.clear()
    FailSafeCache._down_until = 0.0


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not what these tests are about; PBKDF2 would dominate their run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
