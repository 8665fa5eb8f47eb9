"""The portal's one cache mechanism (it sits in the bottom layer so that every app may use it).

Parts of pages that are the same for every visitor of a kind (a list with its facets, the body
of an event or resource page, the home page's lists) are kept with Django's `{% cache %}` tag,
keyed by

- the *content version* of the areas the part shows ("events", "repository"): a number kept in
  the shared cache, which the services that change an area's content renew by calling
  `content_changed(area)`; a part made from older content is then never read again;
- the language, the kind of visitor (`viewer_kind`: what they may see) and what the part shows
  (the URL of a list, an event's id);

and kept for an ordinary timeout (`FRAGMENT_CACHE_SECONDS`), within which what changes with time
alone (an event becoming past, an embargo ending) shows. The context processor
`lpa_portal.context_processors.content_cache` gives templates `CACHE_SECONDS`,
`content_versions` and `viewer_kind`, each worked out only when a template asks, and views pass
what a part needs lazily (`SimpleLazyObject`), so that a part found in the cache runs no query.
Nothing personal is ever inside a `{% cache %}` block (the registration box, messages, forms).

The "template_fragments" cache (`FailSafeCache`) treats an unreachable cache as a miss, so that
pages are made from scratch while Redis is down, and keeps nothing when FRAGMENT_CACHE_SECONDS
is 0. Whole pages for anonymous visitors are cached apart (lpa_portal/page_cache.py), for the
views marked with `anonymous_page_cache`.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import transaction

logger = logging.getLogger(__name__)

AREAS = ("events", "repository")
VERSION_KEY = "content-version:{area}"
# Views whose answers anonymous visitors may get from the page cache carry this attribute.
PAGE_CACHE_MARK = "anonymous_page_cache"


def content_versions() -> dict[str, int | None]:
    """The current version of each content area (one round trip to the shared cache). A version
    missing from the cache (never set, or evicted) starts at the current time: never a number
    used before. None for every area while the cache is unreachable: nothing kept can then be
    told current."""
    keys = {area: VERSION_KEY.format(area=area) for area in AREAS}
    if FailSafeCache.is_down():
        return dict.fromkeys(AREAS)
    try:
        found = caches["default"].get_many(keys.values())
        for key in keys.values():
            if key not in found:
                caches["default"].add(key, time.time_ns(), None)
                found[key] = caches["default"].get(key)
    except Exception:
        FailSafeCache.failed("versions")
        return dict.fromkeys(AREAS)
    return {area: found[key] for area, key in keys.items()}


def content_changed(area: str) -> None:
    """Content of `area` changed: a new version now, and again once the transaction commits,
    so that a part made by another request from the data before the commit is not kept."""
    if area not in AREAS:
        raise ValueError(f"Unknown content area {area!r}; choose among {AREAS}.")

    def renew() -> None:
        try:
            caches["default"].set(VERSION_KEY.format(area=area), time.time_ns(), None)
        except Exception:
            # While the cache is unreachable nothing kept is used (content_versions gives
            # None); once it is back, versions missing from it start anew.
            FailSafeCache.failed("content_changed")

    renew()
    transaction.on_commit(renew)


class ContentAdminMixin:
    """For the admin of a content model: every addition, change (inlines included) and
    deletion made in the admin renews the content version of the model's app. Admin actions
    call services, which renew it themselves."""

    def _content_changed(self) -> None:
        content_changed(self.model._meta.app_label)

    def log_addition(self, request, obj, message):
        self._content_changed()
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._content_changed()
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        self._content_changed()
        return super().log_deletions(request, queryset)


def viewer_kind(user) -> str:
    """What sets visitors apart in the parts of pages: staff see drafts as previews, verified
    regulators open more files than other signed-in people, who see other notices than
    anonymous visitors."""
    if user.is_staff:
        return "staff"
    if not user.is_authenticated:
        return "anonymous"
    return "regulator" if getattr(user, "is_verified_regulator", False) else "signed-in"


def anonymous_page_cache(view):
    """Mark a view whose answers anonymous visitors may get from the page cache."""
    setattr(view, PAGE_CACHE_MARK, True)
    return view


class FailSafeCache(BaseCache):
    """The cache alias named in LOCATION (the shared one), except that while it fails, reads
    miss and writes are dropped, and that nothing is kept when FRAGMENT_CACHE_SECONDS is 0. For
    what is only an optimisation: parts of pages and their versions.

    After a failure the cache is left alone for RETRY_SECONDS, so that while it is unreachable
    (a server down, a host cut off the network) requests do not each wait for a timeout; then
    it is tried again, and caching resumes by itself."""

    RETRY_SECONDS = 5
    _down_until = 0.0
    _quiet_until = 0.0

    def __init__(self, location, params):
        super().__init__(params)
        self._alias = location or "default"

    @classmethod
    def is_down(cls) -> bool:
        return time.monotonic() < cls._down_until

    def _off(self) -> bool:
        return settings.FRAGMENT_CACHE_SECONDS <= 0 or self.is_down()

    @classmethod
    def failed(cls, operation: str) -> None:
        now = time.monotonic()
        cls._down_until = now + cls.RETRY_SECONDS
        if now >= cls._quiet_until:  # logged once a minute at most
            logger.warning("Cache unreachable (%s): pages are made without it", operation)
            cls._quiet_until = now + 60

    def _failed(self, operation: str) -> None:
        self.failed(operation)

    def get(self, key, default=None, version=None):
        if self._off():
            return default
        try:
            return caches[self._alias].get(key, default, version)
        except Exception:
            self._failed("get")
            return default

    def get_many(self, keys, version=None):
        if self._off():
            return {}
        try:
            return caches[self._alias].get_many(keys, version)
        except Exception:
            self._failed("get_many")
            return {}

    def set(self, key, value, timeout=None, version=None):
        if self._off():
            return
        try:
            caches[self._alias].set(key, value, timeout, version)
        except Exception:
            self._failed("set")

    def add(self, key, value, timeout=None, version=None):
        if self._off():
            return False
        try:
            return caches[self._alias].add(key, value, timeout, version)
        except Exception:
            self._failed("add")
            return False

    def delete(self, key, version=None):
        if self._off():
            return False
        try:
            return caches[self._alias].delete(key, version)
        except Exception:
            self._failed("delete")
            return False

    def clear(self):
        try:
            caches[self._alias].clear()
        except Exception:
            self._failed("clear")
