"""Production's task queue: emails are rows in the database queue until a worker runs them."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from events import services
from events.models import EmailDelivery
from events.tasks import send_email
from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@override_settings(TASKS=DATABASE_QUEUE)
def test_confirmation_waits_in_the_database_queue_until_a_worker_sends_it_once():
    services.registration_create(event=EventFactory(), user=UserFactory(), consent=True)
    assert mail.outbox == []
    assert DBTaskResult.objects.count() == 1
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert len(mail.outbox) == 1
    assert EmailDelivery.objects.get().status == "sent"
    # The task run again (a worker that died after sending) and the retry command send nothing.
    send_email.call(EmailDelivery.objects.get().pk)
    call_command("send_pending_emails")
    assert len(mail.outbox) == 1
