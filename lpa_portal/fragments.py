"""Rendered parts of pages kept in Django's cache (shared in production), for everyone.

The page cache (lpa_portal.page_cache) serves whole pages, and only to anonymous visitors. The
parts of a page that are the same for every visitor of a kind (the facets and results of a list,
the body of an event or resource page) are also kept here, so that signed-in people's pages, and
anonymous ones past the page cache, are made quickly too. A part is kept under a key of

- its name and what it varies on (the URL with its query string, the language and time zone,
  the kind of visitor: what they may see);
- the *data version*: a number per app with public content (events, repository), changed
  whenever one of its content models is saved or deleted or a many-to-many link of one changes
  (at once and again once the transaction commits, so that a part made from the data before the
  commit cannot outlive it);
- the current minute, so that what changes with time alone (an event becoming past, an embargo
  ending, download counts updated in bulk) shows within a minute (or two: while one request
  makes a part for the new minute, the others get the one of the minute before).

Never kept: anything personal. The views render the personal parts (the registration box, the
account menu, messages, forms that post) outside the kept parts, and `cached_part` refuses to
keep HTML that holds a CSRF token. Off with FRAGMENT_CACHE_SECONDS=0. While the cache is
unreachable, the parts are made as if it were off.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

KEY_PREFIX = "part:v1:"
VERSION_PREFIX = "data-version:v1:"
# The apps whose content public pages show, and their models that are not content: personal
# records and logs, whose writes (a registration, a download) must not empty the kept parts.
CONTENT_APPS = ("events", "repository")
NOT_CONTENT = frozenset(
    {
        "events.registration",
        "events.registrationstatuschange",
        "events.invitation",
        "events.attendance",
        "events.certificate",
        "events.feedback",
        "events.message",
        "events.emaildelivery",
        "events.alertsubscription",
        "events.alertitem",
        "events.alert",
        "repository.downloadevent",
        "repository.searchquery",
    }
)
# What every kept part of a page may show: the events and the repository (an event page lists
# resources, a resource page events).
ALL_CONTENT = CONTENT_APPS
CSRF_MARK = "csrfmiddlewaretoken"
# While one request makes a part, the mark that it does so (it lapses if that request dies).
MAKING = ":making"
MAKING_SECONDS = 30


def is_content(model) -> bool:
    meta = model._meta
    return meta.app_label in CONTENT_APPS and meta.label_lower not in NOT_CONTENT


def _version_key(app: str) -> str:
    return VERSION_PREFIX + app


def data_versions(apps: Iterable[str] = ALL_CONTENT) -> str:
    """The current data version of these apps, as one string (one cache round trip).

    A version missing from the cache (never set, or evicted) is started at the current time in
    nanoseconds: never a number used before, so no part kept under an older version comes back.
    """
    keys = [_version_key(app) for app in apps]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, time.time_ns(), None)
            found[key] = cache.get(key)
    return ".".join(str(found[key]) for key in keys)


def bump(app: str) -> None:
    """A new data version for `app`: every part made from its data is made again."""
    try:
        # In a savepoint when within a transaction: a cache kept in a table of the same database
        # that fails must not spoil the caller's transaction (PostgreSQL would refuse the rest).
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            cache.set(_version_key(app), time.time_ns(), None)
    except Exception:
        # The parts then turn over with the minute; the write itself must not fail for this.
        logger.warning("Cache unreachable; data version of %s not changed", app, exc_info=True)


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw") or sender.__module__ == "__fake__":
        return  # fixtures being loaded, or a migration's historical models
    action = kwargs.get("action")
    if action is not None and not action.startswith("post_"):
        return
    model = sender
    if action is not None:
        # m2m_changed: the sender is the through model; the content is the model of either end.
        instance = kwargs["instance"]
        model = type(instance)
        if not (is_content(model) or is_content(kwargs["model"])):
            return
    elif not is_content(model):
        return
    apps = {model._meta.app_label}
    if action is not None:
        apps.add(kwargs["model"]._meta.app_label)
    for app in apps & set(CONTENT_APPS):
        content_changed(app)


def content_changed(app: str) -> None:
    """Content of `app` changed: a new data version now, and again once the transaction commits
    and the other processes see the change (see the module docstring). Writes that send no
    signal (update(), raw SQL) call it themselves."""
    bump(app)
    transaction.on_commit(lambda: bump(app), robust=True)


def connect_signals() -> None:
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_changed, dispatch_uid=f"lpa_portal.fragments.{id(signal)}")


def viewer_kind(user) -> str:
    """What sets apart what visitors see of public content: staff see drafts, and each access
    level opens other files; signed-in or not changes the notices."""
    from repository.models import access_level_of

    if user.is_staff:
        return "staff"
    return f"{int(user.is_authenticated)}-{access_level_of(user)}"


def part_keys(
    name: str, vary: Iterable[object], *, apps: Iterable[str] = ALL_CONTENT
) -> tuple[str, str]:
    """The keys of a part in this minute and in the one before, for the same data."""
    minute = int(timezone.now().timestamp() // 60)
    zone = timezone.get_current_timezone_name()
    common = [name, get_language() or "", zone, data_versions(apps), *map(str, vary)]

    def key(at: int) -> str:
        text = "|".join([*common, str(at)])
        return KEY_PREFIX + name + ":" + hashlib.sha256(text.encode()).hexdigest()

    return key(minute), key(minute - 1)


def cached_part(
    name: str,
    vary: Iterable[object],
    render: Callable[[], dict[str, object]],
    *,
    apps: Iterable[str] = ALL_CONTENT,
) -> dict[str, object]:
    """What a page needs from one of its parts, kept or made now by `render`: a dict of its HTML
    (safe strings, as render_to_string gives them; the cache pickles them as such) and plain
    values (a count, a flag) for the rest of the page.

    When the minute turns, one request makes the part again; the others that ask for it
    meanwhile get the part of the minute before, if it is still kept (same data version: only
    time has passed), rather than all making it at once.
    """
    seconds = settings.FRAGMENT_CACHE_SECONDS
    if seconds <= 0:
        return render()
    try:
        key, previous = part_keys(name, vary, apps=apps)
        stored = cache.get(key)
        if stored is None and not cache.add(key + MAKING, 1, MAKING_SECONDS):
            stored = cache.get(previous)
    except Exception:
        logger.warning("Cache unreachable; part %s made uncached", name, exc_info=True)
        return render()
    if stored is not None:
        return stored
    values = render()
    if any(isinstance(value, str) and CSRF_MARK in value for value in values.values()):
        # A form that posts is personal (its token is the visitor's): never shared.
        logger.error("Part %s holds a CSRF token; it is not kept", name)
    else:
        try:
            cache.set(key, values, seconds)
        except Exception:
            logger.warning("Cache unreachable; part %s not kept", name, exc_info=True)
    return values
