"""A database outage: pages answer a friendly 503 quickly, and the portal recovers by itself.

The real test restarts a PostgreSQL server under a running gunicorn; the others check the page,
the fallback outside views and the connection timeout without a server.
"""

from __future__ import annotations

import logging
import shlex
import socket
import subprocess
import time
from pathlib import Path
from unittest import mock

import psycopg2
import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from tests import pgcluster
from tests.reliability.portal_process import PYTHON, fetch, gunicorn, manage, portal_env

# The first read of the home page: the programmes with their next edition.
HOME = "lpa_portal.views.event_selectors.programmes_with_next_edition"
UNAVAILABLE_EN = "The portal is briefly unavailable"
UNAVAILABLE_FR = "Le portail est brièvement indisponible"


# --- The page -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_error_in_a_page_is_a_503_page_that_queries_nothing(
    client, django_assert_num_queries, caplog, error
):
    with (
        mock.patch(HOME, side_effect=error("server closed the connection unexpectedly")),
        django_assert_num_queries(0),
        caplog.at_level(logging.ERROR, logger="lpa_portal.middleware"),
    ):
        response = client.get("/en/?page=2")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert UNAVAILABLE_EN in html
    assert '<html lang="en" dir="ltr">' in html
    assert '<main id="main"' in html and html.count("<h1>") == 1
    assert 'href="/en/?page=2"' in html  # try the same page again
    assert "server closed the connection" not in html  # no internals shown
    assert any(
        "Database unavailable" in r.getMessage() and error.__name__ in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.django_db
def test_the_503_page_is_translated(client):
    with mock.patch(HOME, side_effect=OperationalError("down")):
        response = client.get("/fr/")
    assert response.status_code == 503
    html = response.content.decode()
    assert UNAVAILABLE_FR in html and '<html lang="fr"' in html


@pytest.mark.django_db
def test_other_errors_are_still_server_errors():
    client = Client(raise_request_exception=False)
    with mock.patch(HOME, side_effect=RuntimeError("a bug")):
        response = client.get("/en/")
    assert response.status_code == 500
    assert "Retry-After" not in response


class _DatabaseDownMiddleware:
    """Stands for a middleware that reaches the database outside any view (e.g. a session save)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("connection refused")


@pytest.mark.django_db
def test_a_database_error_outside_a_view_gets_the_503_page_too(settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "tests.reliability.test_database_outage._DatabaseDownMiddleware",
    ]
    response = Client(raise_request_exception=False).get("/en/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert UNAVAILABLE_EN in response.content.decode()


# --- Not hanging --------------------------------------------------------------------------------

CHECK_PAGE = """
import time, django
django.setup()
from django.conf import settings
from django.test import Client
options = settings.DATABASES["default"]
assert options["CONN_HEALTH_CHECKS"] is True, options
started = time.monotonic()
response = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False).get("/en/")
print(response.status_code, response.get("Retry-After"), time.monotonic() - started)
"""


def test_a_database_server_that_does_not_answer_gives_a_503_within_the_connect_timeout():
    """A server that accepts the connection and then says nothing (hung, or packets dropped on
    the way) must not hang the page: libpq's connect_timeout ends the wait."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # never accepts, never answers
        port = silent.getsockname()[1]
        env = portal_env(
            DATABASE_URL=f"postgres://portal@127.0.0.1:{port}/portal",
            DATABASE_CONNECT_TIMEOUT="2",
        )
        result = subprocess.run(
            [PYTHON, "-c", CHECK_PAGE],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    status, retry_after, seconds = result.stdout.split()
    assert (status, retry_after) == ("503", "30")
    assert 1.5 < float(seconds) < 10  # waited for the timeout (libpq may try twice), not forever


# --- A real restart -----------------------------------------------------------------------------


class _Server:
    """Stop and start again the PostgreSQL server of a throwaway cluster, on the same port, with
    the options it was started with (pg_ctl, as the cluster's service user)."""

    def __init__(self, url: str) -> None:
        with psycopg2.connect(url, connect_timeout=5) as conn, conn.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            self.datadir = Path(cursor.fetchone()[0])
        conn.close()
        # postmaster.opts: the server binary, then its arguments as pg_ctl gave them.
        argv = shlex.split((self.datadir / "postmaster.opts").read_text())[1:]
        at = argv.index("-D")
        self.options = argv[:at] + argv[at + 2 :]
        self.pg_ctl = str(pgcluster.find_pg_bin() / "pg_ctl")
        self.user = pgcluster._service_user()

    def _pg_ctl(self, *args: str) -> None:
        result = pgcluster._run(
            self.user,
            [self.pg_ctl, *args, "-D", str(self.datadir), "-w", "-t", "30"],
            str(self.datadir.parent),
            timeout=60,
            new_session=True,
        )
        assert result.returncode == 0, result.stdout

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def start(self) -> None:
        log = str(self.datadir.parent / "postgres.log")
        self._pg_ctl("start", "-l", log, "-o", shlex.join(self.options))


@pytest.mark.postgres
def test_the_portal_answers_503_while_postgresql_restarts_and_recovers_by_itself(tmp_path):
    with pgcluster.throwaway_cluster() as url:
        env = portal_env(DATABASE_URL=url, MEDIA_ROOT=str(tmp_path / "media"))
        manage("migrate", "--no-input", "-v", "0", env=env)
        server = _Server(url)
        log = tmp_path / "gunicorn.log"
        with gunicorn(env=env, log=log) as port:
            for path in ("/en/", "/en/events/"):
                assert fetch(port, path)[0] == 200  # a persistent connection is now open

            server.stop()
            for path in ("/en/", "/en/events/", "/fr/", "/en/resources/"):
                started = time.monotonic()
                status, headers, body = fetch(port, path)
                assert time.monotonic() - started < 5, path
                assert status == 503, (path, status, body[:500])
                assert headers["Retry-After"] == "30"
                assert (UNAVAILABLE_FR if path == "/fr/" else UNAVAILABLE_EN) in body

            server.start()
            # The very next requests are served again: the same process, no restart.
            for path in ("/en/", "/en/events/", "/en/resources/"):
                status, _headers, body = fetch(port, path)
                assert status == 200, (path, status, body[:500])
        output = log.read_text()
        assert "Database unavailable, GET /en/events/ answered with 503: OperationalError" in output
        assert "Traceback" not in output
