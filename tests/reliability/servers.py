"""Real servers for the outage tests, on free ports of 127.0.0.1, that a test stops and starts:
Redis (Debian's redis-server) and an S3-compatible object store (moto's standalone server).

Locally a test skips when redis-server is missing; CI sets REQUIRE_SERVERS=1 so that it fails
instead. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.portal_process import free_port

MOTO_SERVER = Path(sys.executable).with_name("moto_server")


def _wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"{name} exited with {process.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"{name} not up within {timeout} s"
            time.sleep(0.1)


class Server:
    """A server process that can be stopped and started again on the same port."""

    name = ""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        log = (self.directory / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            self.command(), cwd=self.directory, stdout=log, stderr=subprocess.STDOUT
        )
        _wait_for_port(self.port, self.process, self.name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


class RedisServer(Server):
    name = "redis"

    def command(self) -> list[str]:
        return [
            shutil.which("redis-server") or "redis-server",
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
        ]  # fmt: skip

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class ObjectStore(Server):
    """moto's S3 server: it keeps objects in memory, so a store started again is empty."""

    name = "objectstore"

    def command(self) -> list[str]:
        return [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(self.port)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def redis_server(directory: Path) -> RedisServer:
    if shutil.which("redis-server") is None:
        if os.environ.get("REQUIRE_SERVERS"):
            pytest.fail("redis-server not found, and REQUIRE_SERVERS is set.")
        pytest.skip("needs redis-server (apt-get install redis-server); CI runs it")
    server = RedisServer(directory)
    server.start()
    return server


def object_store(directory: Path) -> ObjectStore:
    assert MOTO_SERVER.exists(), "moto's server is a dev dependency: make install"
    server = ObjectStore(directory)
    server.start()
    return server
