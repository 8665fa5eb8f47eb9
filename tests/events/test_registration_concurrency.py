"""Many people register at once for the last seats: PostgreSQL's row lock keeps the count exact."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from events import services
from events.models import Registration
from tests.factories import EventFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SEATS = 5
PEOPLE = 40


def test_concurrent_registrations_never_exceed_capacity():
    assert connection.vendor == "postgresql"
    event = EventFactory(capacity=SEATS)
    users = UserFactory.create_batch(PEOPLE)
    barrier = threading.Barrier(PEOPLE)
    errors = []

    def register(user):
        try:
            barrier.wait(timeout=30)
            services.registration_create(event=event, user=user, consent=True)
        except Exception as error:  # any error is a failure of the rule
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    registrations = list(Registration.objects.filter(event=event).order_by("created_at", "pk"))
    statuses = [registration.status for registration in registrations]
    assert len(registrations) == PEOPLE
    assert statuses.count("confirmed") == SEATS
    assert statuses.count("waitlisted") == PEOPLE - SEATS
    # In arrival order (the order the lock was obtained): the first SEATS are confirmed, and the
    # waiting list keeps that order.
    assert statuses == ["confirmed"] * SEATS + ["waitlisted"] * (PEOPLE - SEATS)
    waiting = [r.pk for r in registrations if r.status == "waitlisted"]
    by_position = list(
        Registration.objects.filter(event=event, status="waitlisted")
        .order_by("waitlisted_at", "pk")
        .values_list("pk", flat=True)
    )
    assert by_position == waiting


def test_concurrent_cancellations_promote_one_person_each():
    event = EventFactory(capacity=3)
    confirmed = [
        services.registration_create(event=event, user=UserFactory(), consent=True)
        for _ in range(3)
    ]
    waiting = [
        services.registration_create(event=event, user=UserFactory(), consent=True)
        for _ in range(5)
    ]
    barrier = threading.Barrier(3)
    errors = []

    def cancel(registration):
        try:
            barrier.wait(timeout=30)
            services.registration_cancel(registration=registration, by=registration.user)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cancel, args=(r,)) for r in confirmed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    now_confirmed = set(
        Registration.objects.filter(event=event, status="confirmed").values_list("pk", flat=True)
    )
    assert now_confirmed == {r.pk for r in waiting[:3]}
    assert event.start - event.end < timedelta(0)
