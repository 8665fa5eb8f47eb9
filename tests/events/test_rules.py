"""The rules of registering that pages, services, the admin and emails share: each is one method
of the event (and, where lists need it, the same rule in SQL on the queryset)."""

from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone

from events.models import Event
from tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def test_registration_is_open_is_the_same_rule_in_python_and_in_sql():
    now = timezone.now()
    hour = timedelta(hours=1)
    events = []
    for status, mode, opens, closes, start in product(
        ["published", "draft", "cancelled"],
        ["open", "approval", "invitation", "closed", "external"],
        [None, now - hour, now + hour],
        [None, now - hour, now + hour],
        [now - hour, now + 2 * hour],
    ):
        events.append(
            EventFactory(
                status=status,
                registration_mode=mode,
                external_registration_url="https://example.org/register",
                registration_opens=opens,
                registration_closes=closes,
                start=start,
                end=start + 3 * hour,
            )
        )

    in_sql = set(Event.objects.registration_open(now).values_list("pk", flat=True))
    in_python = {event.pk for event in events if event.registration_is_open(now)}

    assert in_sql == in_python
    assert 0 < len(in_python) < len(events)
    listed = set(Event.objects.open_for_registration(now).values_list("pk", flat=True))
    assert listed == {
        event.pk
        for event in events
        if event.registration_is_open(now) and event.registration_mode != "invitation"
    }


def test_registration_closes_when_the_event_starts_unless_a_closing_time_is_set():
    now = timezone.now()
    event = EventFactory(start=now + timedelta(minutes=5))
    assert event.registration_deadline == event.start
    assert event.registration_is_open(now)
    assert not event.registration_is_open(event.start)
    event.registration_closes = now - timedelta(minutes=1)
    assert not event.registration_is_open(now)


def test_seats_left_counts_confirmed_registrations_once_for_a_list():
    event = EventFactory(capacity=3)
    RegistrationFactory.create_batch(2, event=event)
    RegistrationFactory(event=event, status="waitlisted")
    RegistrationFactory(event=event, status="cancelled")

    assert event.seats_left() == 1
    assert event.has_free_seat()
    annotated = Event.objects.with_seats_taken().get(pk=event.pk)
    assert annotated.seats_taken() == 2
    assert annotated.seats_left() == 1
    RegistrationFactory(event=event)
    assert not event.has_free_seat()
    assert EventFactory(capacity=None).seats_left() is None


def test_the_cancellation_deadline_is_the_start_unless_set():
    now = timezone.now()
    event = EventFactory(start=now + timedelta(days=2))
    assert event.cancellation_closes == event.start
    assert event.cancellation_is_open(now)
    event.cancellation_deadline = now - timedelta(hours=1)
    assert not event.cancellation_is_open(now)
