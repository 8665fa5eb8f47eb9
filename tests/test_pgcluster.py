"""Tests for tests/pgcluster.py: the throwaway PostgreSQL cluster of the test suite.

They need no Django database (and not pytest-django): each starts its own cluster
with the context manager or the command line and talks to it through psycopg2.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

from tests.pgcluster import NOT_FOUND_EXIT, ClusterStartError, find_pg_bin, throwaway_cluster

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = find_pg_bin()

pytestmark = pytest.mark.postgres
needs_server = pytest.mark.skipif(
    PG_BIN is None,
    reason="PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; set PG_BIN",
)


def _port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180):
    return subprocess.run(
        [sys.executable, "-m", "tests.pgcluster", *args],
        cwd=ROOT,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@needs_server
def test_cluster_serves_sql_and_is_gone_afterwards():
    handler_before = signal.getsignal(signal.SIGTERM)

    with throwaway_cluster() as url:
        parts = urlsplit(url)
        assert parts.scheme == "postgres"
        assert parts.username == "postgres"
        assert parts.hostname == "127.0.0.1"
        assert parts.path == "/postgres"
        port = parts.port
        assert port and _port_accepts(port)
        assert signal.getsignal(signal.SIGTERM) is not handler_before  # cleanup on SIGTERM

        conn = psycopg2.connect(url)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("select version()")
                assert cur.fetchone()[0].startswith("PostgreSQL ")

                cur.execute("show unix_socket_directories")
                tempdir = Path(cur.fetchone()[0])
                assert tempdir.is_dir()
                cur.execute("show data_directory")
                assert Path(cur.fetchone()[0]).parent == tempdir
                cur.execute("show server_encoding")
                assert cur.fetchone()[0] == "UTF8"
                cur.execute("show fsync")
                assert cur.fetchone()[0] == "off"
                cur.execute("show max_connections")
                assert cur.fetchone()[0] == "200"

                cur.execute("create table note (id serial primary key, body text not null)")
                cur.execute("insert into note (body) values (%s), (%s)", ["Café", "coffee"])
                cur.execute("select count(*) from note")
                assert cur.fetchone()[0] == 2

                # Extensions the project needs (Debian ships them with the server).
                cur.execute("create extension pg_trgm")
                cur.execute("select similarity('training', 'trainings') > 0.5")
                assert cur.fetchone()[0] is True
                cur.execute("create extension unaccent")
                cur.execute("select unaccent('Café')")
                assert cur.fetchone()[0] == "Cafe"

                # What Django's test runner does with this URL.
                cur.execute("create database test_postgres")
        finally:
            conn.close()
        test_conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/test_postgres")
        test_conn.close()

    assert not _port_accepts(port)
    assert not tempdir.exists()
    assert signal.getsignal(signal.SIGTERM) is handler_before


@needs_server
def test_keyboard_interrupt_still_stops_the_cluster():
    with pytest.raises(KeyboardInterrupt), throwaway_cluster() as url:
        port = urlsplit(url).port
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("show unix_socket_directories")
            tempdir = Path(cur.fetchone()[0])
        conn.close()
        raise KeyboardInterrupt

    assert not _port_accepts(port)
    assert not tempdir.exists()


@needs_server
def test_open_connections_do_not_block_the_stop():
    with throwaway_cluster() as url:
        port = urlsplit(url).port
        conn = psycopg2.connect(url)
        cur = conn.cursor()
        cur.execute("create table t (x int); insert into t values (1)")
        # Leave the transaction and the connection open on purpose.
    assert not _port_accepts(port)
    conn.close()


@needs_server
def test_sigterm_stops_the_cluster():
    script = textwrap.dedent(
        """
        import sys, time, psycopg2
        from tests.pgcluster import throwaway_cluster
        with throwaway_cluster() as url:
            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                cur.execute("show unix_socket_directories")
                print(url, cur.fetchone()[0], flush=True)
            conn.close()
            time.sleep(120)
        print("not interrupted", flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 90)
        assert ready, "the child did not start a cluster within 90 s"
        url, tempdir = proc.stdout.readline().split()
        port = urlsplit(url).port
        assert _port_accepts(port)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM
        assert "not interrupted" not in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()

    assert not _port_accepts(port)
    assert not Path(tempdir).exists()


@needs_server
def test_start_failure_raises_with_the_server_log_tail():
    with (
        pytest.raises(RuntimeError) as excinfo,
        throwaway_cluster(extra_options=["-c", "shared_buffers=not-a-size"]),
    ):
        pytest.fail("the server should not have started")

    err = excinfo.value
    assert isinstance(err, ClusterStartError)
    assert "shared_buffers" in str(err)  # postgres's own complaint, from its log
    assert err.tempdir and not Path(err.tempdir).exists()


@needs_server
def test_cli_runs_the_command_with_database_url_and_passes_its_exit_code():
    code = textwrap.dedent(
        """
        import os, sys, psycopg2
        assert os.environ["PGCLUSTER_TEST_MARKER"] == "kept"
        conn = psycopg2.connect(os.environ["DATABASE_URL"])
        print("server_version", conn.server_version, os.environ["DATABASE_URL"])
        conn.close()
        sys.exit(7)
        """
    )
    env = dict(os.environ, PGCLUSTER_TEST_MARKER="kept")
    started = time.monotonic()
    result = _cli("--", sys.executable, "-c", code, env=env)
    elapsed = time.monotonic() - started

    assert result.returncode == 7, result.stderr
    _, version, url = result.stdout.split()
    assert int(version) >= 100000
    assert not _port_accepts(urlsplit(url).port)
    assert elapsed < 60


@needs_server
def test_cli_check_finds_the_binaries():
    result = _cli("--check")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == PG_BIN


def test_cli_exits_3_when_the_binaries_are_missing(tmp_path):
    env = dict(os.environ, PG_BIN=str(tmp_path / "no-such-bin"))
    check = _cli("--check", env=env)
    assert check.returncode == NOT_FOUND_EXIT
    assert "not found" in check.stderr and "PG_BIN" in check.stderr

    run = _cli("--", sys.executable, "-c", "raise SystemExit(0)", env=env)
    assert run.returncode == NOT_FOUND_EXIT
    assert "not found" in run.stderr


def test_find_pg_bin_honours_pg_bin(tmp_path, monkeypatch):
    for name in ("initdb", "pg_ctl", "postgres"):
        exe = tmp_path / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    assert find_pg_bin() == tmp_path.resolve()

    (tmp_path / "postgres").unlink()
    assert find_pg_bin() is None
