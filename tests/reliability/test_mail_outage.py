"""The mail server is down when people register: the registrations are kept, and the emails go
out once, when the server is back and the retry command runs. A real SMTP connection to
localhost (tests/events/test_registration.py has the same story with a failing email backend)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import services
from events.models import EmailDelivery, Registration
from tests.factories import EventFactory, UserFactory
from tests.reliability.mail_settings import smtp_settings
from tests.reliability.portal_process import free_port
from tests.reliability.smtp import Sink, smtp_server

pytestmark = pytest.mark.django_db


def test_registrations_are_kept_while_the_mail_server_is_down_and_emailed_once_it_is_back(
    django_capture_on_commit_callbacks,
):
    port = free_port()  # nothing listens there yet: connections are refused
    event = EventFactory(capacity=10)
    people = [UserFactory() for _ in range(2)]
    with smtp_settings(port):
        with django_capture_on_commit_callbacks(execute=True):
            for person in people:
                services.registration_create(event=event, user=person, consent=True)
        assert set(Registration.objects.values_list("status", flat=True)) == {"confirmed"}
        deliveries = EmailDelivery.objects.all()
        assert [d.status for d in deliveries] == ["failed", "failed"]
        assert all("ConnectionRefusedError" in d.last_error for d in deliveries)
        assert all(d.attempts == 1 and d.next_attempt_at > timezone.now() for d in deliveries)

        with smtp_server(port, Sink()) as sink:
            call_command("send_pending_emails")  # not due yet: nothing is tried
            assert sink.messages == []
            # A minute later, the retries are due.
            EmailDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
            call_command("send_pending_emails")
            call_command("send_pending_emails")  # and a later run sends nothing again

    assert sorted(message["To"] for message in sink.messages) == sorted(p.email for p in people)
    assert all(event.title in message["Subject"] for message in sink.messages)
    assert all(
        any(part.get_content_type() == "text/calendar" for part in message.iter_attachments())
        for message in sink.messages
    )
    assert [d.status for d in EmailDelivery.objects.all()] == ["sent", "sent"]
    assert [d.attempts for d in EmailDelivery.objects.all()] == [2, 2]
