"""The portal run as production runs it: gunicorn in its own process, against a given database,
asked for pages over HTTP. Every wait is bounded."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal_env(**overrides: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) for a process of the portal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    # Without the page cache and the kept parts of pages every request reaches the database
    # (they could answer from memory: tests/test_fragments.py checks that they do).
    env.update(DEBUG="false", SECURE_SSL_REDIRECT="false", LOG_LEVEL="WARNING")
    env.update(PAGE_CACHE_SECONDS="0", FRAGMENT_CACHE_SECONDS="0")
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result


def fetch(port: int, path: str, *, timeout: float = 15) -> tuple[int, dict[str, str], str]:
    """GET a page; returns the status, the headers and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


@contextmanager
def gunicorn(*, env: dict[str, str], log: Path, start_timeout: float = 30):
    """One gunicorn worker serving the portal; yields its port."""
    port = free_port()
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "lpa_portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                assert server.poll() is None, f"gunicorn exited:\n{log.read_text()[-3000:]}"
                assert time.monotonic() < deadline, f"gunicorn not up:\n{log.read_text()[-3000:]}"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
