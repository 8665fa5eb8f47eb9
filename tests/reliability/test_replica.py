"""A streaming replica answers the reads of anonymous visitors' public pages; the primary answers
everything else, and every read while the replica is down or lagging (lpa_portal/db_router.py).

A real physical replica of the test cluster (pg_basebackup, streaming replication), the portal
under gunicorn with DATABASE_REPLICA_URL pointing at it; the replica is made to lag (its replay
paused) and is stopped, for real.
"""

from __future__ import annotations

import http.client
import shlex
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from tests import pgcluster
from tests.factories import EventFactory, UserFactory
from tests.reliability.portal_process import gunicorn, portal_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LAG_LIMIT = 1


def _url(port: int, database: str) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{database}"


@contextmanager
def streaming_replica():
    """A replica of the test cluster: yields its port, how to stop and start it, its log."""
    pg_bin = pgcluster.find_pg_bin()
    user = pgcluster._service_user()
    tempdir = tempfile.mkdtemp(prefix="replica-", dir=pgcluster._temp_parent(user))
    data = Path(tempdir, "data")
    if user is not None:
        shutil.chown(tempdir, user.pw_uid, user.pw_gid)
    port = pgcluster._free_port()
    primary_port = connection.settings_dict["PORT"]
    result = pgcluster._run(
        user,
        [str(pg_bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U",
         "postgres", "-D", str(data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"],
        tempdir,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    # The primary's settings (a standby needs at least its max_connections), its own address;
    # every statement logged: the tests count the pages' reads there.
    options = ["-c", "listen_addresses=127.0.0.1", "-p", str(port), "-k", tempdir]
    standby = ("hot_standby=on", "wal_receiver_status_interval=1s", "log_statement=all")
    for setting in (*pgcluster.SERVER_SETTINGS, *standby):
        options += ["-c", setting]
    options = shlex.join(options)

    def pg_ctl(*args: str) -> None:
        done = pgcluster._run(user, [str(pg_bin / "pg_ctl"), "-D", str(data), "-w", *args],
                              tempdir, timeout=90)  # fmt: skip
        log = Path(tempdir, "replica.log")
        assert done.returncode == 0, done.stdout + (log.read_text()[-2000:] if log.exists() else "")

    def start() -> None:
        pg_ctl("start", "-l", str(Path(tempdir, "replica.log")), "-o", options)

    def stop() -> None:
        pg_ctl("stop", "-m", "fast")

    start()
    try:
        yield port, stop, start, Path(tempdir, "replica.log")
    finally:
        pgcluster._run(user, [str(pg_bin / "pg_ctl"), "-D", str(data), "stop", "-m",
                              "immediate"], tempdir, timeout=60)  # fmt: skip
        shutil.rmtree(tempdir, ignore_errors=True)


def replica_reads(log: Path) -> int:
    """Reads of events the replica has run (its log holds every statement)."""
    time.sleep(0.2)  # the log is written as the statements run
    return log.read_text(errors="replace").count('FROM "events_event"')


def replica_has(url: str, title: str) -> bool:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events_event WHERE title = %s", [title])
        (count,) = cursor.fetchone()
    conn.close()
    return count == 1


def streaming(url: str) -> bool:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT status FROM pg_stat_wal_receiver")
        row = cursor.fetchone()
    conn.close()
    return row is not None and row[0] == "streaming"


def back_on_the_replica(portal) -> None:
    """Once the replica streams again, the portal finds it out at its next measurement (at most
    a second later, on a request)."""
    wait_for(lambda: streaming(portal["replica"]))
    time.sleep(1.2)
    pages(portal["port"], 2)


def wait_for(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{check} not true within {timeout} s"
        time.sleep(0.2)


def pages(port: int, count: int, cookie: str = "") -> list[tuple[int, str]]:
    """`count` requests of the event list, each a new URL (nothing kept answers them)."""
    answers = []
    for n in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        headers = {"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {})}
        try:
            conn.request("GET", f"/en/events/?n={n}&t={time.monotonic()}", headers=headers)
            response = conn.getresponse()
            answers.append((response.status, response.read().decode()))
        finally:
            conn.close()
    return answers


@pytest.fixture(scope="module")
def portal(django_db_setup, tmp_path_factory):
    """One replica and one gunicorn for the module (each test leaves the replica streaming)."""
    tmp_path = tmp_path_factory.mktemp("replica-portal")
    database = connection.settings_dict["NAME"]
    with streaming_replica() as (replica_port, stop, start, log):
        primary = _url(connection.settings_dict["PORT"], database)
        replica = _url(replica_port, database)
        env = portal_env(
            DATABASE_URL=primary,
            DATABASE_REPLICA_URL=replica,
            REPLICA_MAX_LAG_SECONDS=str(LAG_LIMIT),
            MEDIA_ROOT=str(tmp_path / "media"),
        )
        with gunicorn(env=env, log=tmp_path / "gunicorn.log") as port:
            yield {"port": port, "replica": replica, "stop": stop, "start": start, "log": log}


def test_anonymous_public_pages_read_the_replica_and_signed_in_pages_the_primary(portal):
    EventFactory(title="Sterile manufacturing workshop")
    wait_for(lambda: replica_has(portal["replica"], "Sterile manufacturing workshop"))

    before = replica_reads(portal["log"])
    answers = pages(portal["port"], 10)
    anonymous_reads = replica_reads(portal["log"]) - before

    assert all(status == 200 for status, _body in answers)
    assert all("Sterile manufacturing workshop" in body for _status, body in answers)
    assert anonymous_reads >= 10

    session = SessionStore()
    person = UserFactory()
    session["_auth_user_id"] = str(person.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = person.get_session_auth_hash()
    session.create()
    before = replica_reads(portal["log"])
    signed_in = pages(portal["port"], 10, cookie=f"sessionid={session.session_key}")
    assert replica_reads(portal["log"]) == before  # none of the signed-in pages' reads
    assert all(status == 200 and "Sign out" in body for status, body in signed_in)


def test_a_lagging_replica_is_left_alone_until_it_has_caught_up(portal):
    replica = portal["replica"]
    with psycopg2.connect(replica) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    conn.close()
    EventFactory(title="Written while the replica lags")
    time.sleep(LAG_LIMIT + 1.5)

    answers = pages(portal["port"], 3)

    # Only the primary has the new event: the pages were read there.
    assert not replica_has(replica, "Written while the replica lags")
    assert all(status == 200 for status, _body in answers)
    assert all("Written while the replica lags" in body for _status, body in answers)

    with psycopg2.connect(replica) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    conn.close()
    wait_for(lambda: replica_has(replica, "Written while the replica lags"))
    back_on_the_replica(portal)
    before = replica_reads(portal["log"])
    pages(portal["port"], 5)
    assert replica_reads(portal["log"]) - before >= 5  # the reads are back on the replica


def test_a_stopped_replica_costs_no_failed_page_and_reads_return_when_it_is_back(portal):
    EventFactory(title="Sterile manufacturing workshop")
    wait_for(lambda: replica_has(portal["replica"], "Sterile manufacturing workshop"))
    pages(portal["port"], 3)

    portal["stop"]()
    answers = pages(portal["port"], 10)

    assert [status for status, _body in answers] == [200] * 10
    assert all("Sterile manufacturing workshop" in body for _status, body in answers)

    portal["start"]()
    back_on_the_replica(portal)
    before = replica_reads(portal["log"])
    pages(portal["port"], 5)
    assert replica_reads(portal["log"]) - before >= 5
