"""Which database answers: the reads of anonymous visitors' public pages come from the streaming
replica, everything else from the primary.

With DATABASE_REPLICA_URL set (settings.DATABASES["replica"], a PostgreSQL physical replica of
the primary), `ReplicaReadsMiddleware` marks a request as a public read when it is a GET or HEAD
of one of the public pages that the page cache serves to anonymous visitors (the views marked
with `accounts.cache.anonymous_page_cache`), carrying no session cookie: nobody is signed in, so
nothing on the page depends on what the visitor just wrote. The router sends the reads of such a
request to the replica, except

- after the request wrote something (a search logged): every later read of the request goes to
  the primary, which has the write; so do the reads inside a transaction;
- while the replica is down or unreachable: its connection is checked on the first read of each
  request (Django's health check), and a replica known to be down is tried again once a second
  per process, not by every request. A page whose replica read fails all the same (the replica
  stopped in the middle of it) is made again from the primary: a stopping replica costs no
  failed page;
- while the replica is more than REPLICA_MAX_LAG_SECONDS behind the primary, or not streaming
  from it (cut off from the primary, it cannot tell how far behind it is): measured on the
  replica at most once a second per process. (Its database role needs `pg_monitor` to see its
  own WAL receiver.)

Everything else (signed-in people, forms, the admin, commands, background tasks) reads and writes
the primary. Migrations run on the primary only; the replica receives them by replication.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.urls import Resolver404, resolve

from accounts.cache import PAGE_CACHE_MARK

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
CHECK_SECONDS = 1.0

# On the replica: whether it may answer reads. A promoted replica (no longer in recovery) may; a
# standby must be streaming from the primary, and have replayed all it received, or be less than
# the limit behind: the time since the commit of the last transaction it replayed (unknown right
# after a restart, before it replayed one: then it waits until it has replayed all it received).
USABLE_SQL = """
SELECT NOT pg_is_in_recovery() OR (
    COALESCE((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false)
    AND (
        pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn()
        OR COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) <= %s, false)
    )
)
"""


@dataclass
class _Routing:
    """The routing of one request: None until its first read decides."""

    replica: bool | None = None
    wrote: bool = False
    failed: bool = False


_current: contextvars.ContextVar[_Routing | None] = contextvars.ContextVar(
    "lpa_db_routing", default=None
)


class _ReplicaHealth:
    """What this process last found out about the replica; shared by its threads."""

    def __init__(self) -> None:
        self.usable: bool | None = None
        self.checked_at = float("-inf")
        self.lock = threading.Lock()

    def record(self, usable: bool, reason: str = "") -> bool:
        if self.usable is not None and usable != self.usable:
            if usable:
                logger.warning("Database replica usable again: public reads go to it")
            else:
                logger.warning("Database replica not used, reads go to the primary: %s", reason)
        self.usable = usable
        self.checked_at = time.monotonic()
        return usable


_health = _ReplicaHealth()


def _measure(connection) -> bool:
    """Whether the replica answers and is close enough behind the primary (one query)."""
    try:
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                return _health.record(True)
            cursor.execute(USABLE_SQL, [settings.REPLICA_MAX_LAG_SECONDS])
            (usable,) = cursor.fetchone()
    except DatabaseError as error:
        return _health.record(False, f"{type(error).__name__}: {str(error).strip()[:200]}")
    return _health.record(
        bool(usable),
        f"more than {settings.REPLICA_MAX_LAG_SECONDS:g} s behind or not streaming",
    )


def replica_usable() -> bool:
    """Whether this request may read the replica (see the module docstring)."""
    connection = connections[REPLICA]
    due = time.monotonic() - _health.checked_at >= CHECK_SECONDS
    if due and _health.lock.acquire(blocking=False):
        try:
            return _measure(connection)
        finally:
            _health.lock.release()
    if not _health.usable:
        return False
    try:
        # The health check of a reused connection (a replica that restarted or stopped
        # since), and a new connection if needed.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        return _health.record(False, f"{type(error).__name__}: {str(error).strip()[:200]}")
    return True


class PrimaryReplicaRouter:
    """settings.DATABASE_ROUTERS when a replica is configured."""

    def db_for_read(self, model, **hints):
        routing = _current.get()
        if routing is None or routing.wrote or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if routing.replica is None:
            routing.replica = replica_usable()
        return REPLICA if routing.replica else PRIMARY

    def db_for_write(self, model, **hints):
        routing = _current.get()
        if routing is not None:
            routing.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


def is_public_read(request) -> bool:
    """A GET or HEAD of a public page by a visitor with no session (nobody signed in)."""
    if request.method not in ("GET", "HEAD") or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    # The public pages whose anonymous reads the replica may answer: those of the page cache.
    return getattr(match.func, PAGE_CACHE_MARK, False)


class ReplicaReadsMiddleware:
    """Marks anonymous visitors' public page reads for the replica (after LocaleMiddleware, which
    the language-prefixed URLs need to resolve). Not used without a replica."""

    def __init__(self, get_response):
        if REPLICA not in settings.DATABASES:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        if not is_public_read(request):
            return self.get_response(request)
        routing = _Routing()
        token = _current.set(routing)
        try:
            response = self.get_response(request)
            if routing.failed:
                # A read of the replica failed: the page is made again from the primary.
                _health.record(False, "a read failed")
                with contextlib.suppress(DatabaseError):
                    connections[REPLICA].close()
                routing.replica, routing.failed = False, False
                response = self.get_response(request)
            return response
        finally:
            _current.reset(token)

    def process_exception(self, request, exception):
        routing = _current.get()
        if (
            routing is not None
            and routing.replica
            and isinstance(exception, OperationalError | InterfaceError)
        ):
            routing.failed = True
        return None  # DatabaseUnavailableMiddleware makes the 503 page, which is not sent
