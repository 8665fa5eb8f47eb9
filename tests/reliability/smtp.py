"""A real SMTP server on localhost for the tests (aiosmtpd), which can be made to stall."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Sink:
    """Keeps every message it accepted. While `stalling`, it reads a message to the end and then
    holds the client without an answer (a server that hangs mid-send) until `release()`."""

    def __init__(self, *, stalling: bool = False) -> None:
        self.messages = []
        self.stalling = stalling
        self.data_received = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self.stalling = False
        self._released.set()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        self.data_received.set()
        if self.stalling:
            while not self._released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"  # the client is gone by now; nothing accepted
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK: queued"


@contextmanager
def smtp_server(port: int, sink: Sink):
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield sink
    finally:
        sink.release()
        controller.stop()
