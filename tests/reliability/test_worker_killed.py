"""A task worker killed (kill -9) while it sends an email: the email still goes out, once.

django-tasks-db does not run an abandoned task again: its row stays RUNNING for ever. The
project's own retry path covers it: the email's EmailDelivery row is locked and updated in one
transaction with the send, so the killed worker's attempt is rolled back, the row stays pending,
and `manage.py send_pending_emails` (run every few minutes in production) sends it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from events import services
from events.models import EmailDelivery
from tests.factories import EventFactory, UserFactory
from tests.reliability.mail_settings import smtp_settings
from tests.reliability.portal_process import BASE_DIR, PYTHON, free_port, portal_env
from tests.reliability.smtp import Sink, smtp_server

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _worker(port: int) -> subprocess.Popen:
    env = portal_env(
        DATABASE_URL=_database_url(),
        TASK_BACKEND="django_tasks_db.DatabaseBackend",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="60",  # the worker waits on the stalled server until it is killed
    )
    return subprocess.Popen(
        [PYTHON, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_it_sends_leaves_the_email_to_the_retry_which_sends_it_once():
    port = free_port()
    with override_settings(TASKS=DATABASE_QUEUE):
        services.registration_create(event=EventFactory(), user=UserFactory(), consent=True)
    delivery = EmailDelivery.objects.get()
    assert DBTaskResult.objects.get().status == "READY"

    with smtp_server(port, Sink(stalling=True)) as sink:
        worker = _worker(port)
        try:
            # The worker has sent the whole message and waits for the server's answer.
            if not sink.data_received.wait(timeout=30):
                _stop(worker)
                pytest.fail(f"The worker sent nothing:\n{worker.stdout.read().decode()[-3000:]}")
            os.kill(worker.pid, signal.SIGKILL)
            assert worker.wait(timeout=10) == -signal.SIGKILL
        finally:
            _stop(worker)
        sink.release()  # the server recovers; it never accepted the message

        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.attempts == 0  # rolled back
        assert DBTaskResult.objects.get().status == "RUNNING"  # abandoned, never finished

        # A new worker does not pick the abandoned task up again…
        worker = _worker(port)
        try:
            worker.wait(timeout=60)
        finally:
            _stop(worker)
        assert worker.returncode == 0
        assert sink.messages == []

        # …the retry command does, and a second run does not send it again.
        started = time.monotonic()
        with smtp_settings(port):
            call_command("send_pending_emails")
            call_command("send_pending_emails")
        assert time.monotonic() - started < 20

    assert len(sink.messages) == 1
    assert sink.messages[0]["To"] == delivery.to
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1
