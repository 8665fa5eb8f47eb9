"""My registrations reads like a diary: upcoming events soonest first, past ones in their own
section, one card per event with its history, and only the actions that still apply."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.exceptions import CancellationClosed
from events.models import Certificate
from tests.factories import EventFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db

MINE = reverse("events:my_registrations")


def _register(event, user):
    return services.registration_create(event=event, user=user, consent=True)


def _titles_in_order(html: str, titles: list[str]) -> bool:
    positions = [html.index(title) for title in titles]
    return positions == sorted(positions)


def test_upcoming_soonest_first_then_past_in_their_own_section(client):
    user = UserFactory()
    now = timezone.now()
    later = EventFactory(title="Later workshop", start=now + timedelta(days=60))
    sooner = EventFactory(title="Sooner webinar", start=now + timedelta(days=5))
    old = EventFactory(title="Old marathon", start=now - timedelta(days=400))
    recent = EventFactory(title="Recent clinic", start=now - timedelta(days=20))
    for event in (later, old, sooner, recent):
        RegistrationFactory(event=event, user=user)
    client.force_login(user)
    html = client.get(MINE).content.decode()
    upcoming, past = html.split('id="past-heading"')
    assert _titles_in_order(upcoming, ["Sooner webinar", "Later workshop"])
    assert "Old marathon" not in upcoming and "Recent clinic" not in upcoming
    assert _titles_in_order(past, ["Recent clinic", "Old marathon"])


def test_a_cancelled_and_a_new_registration_are_one_card_with_their_history(client):
    user = UserFactory()
    event = EventFactory(title="Data integrity masterclass")
    first = _register(event, user)
    services.registration_cancel(registration=first, by=user)
    second = _register(event, user)
    client.force_login(user)
    response = client.get(MINE)
    entries = response.context["registrations"].upcoming
    assert len(entries) == 1
    assert entries[0].registration == second
    assert [change.to_status for change in entries[0].history] == [
        "confirmed",
        "cancelled",
        "confirmed",
    ]
    html = response.content.decode()
    assert html.count('my-registration"') == 1
    assert "History of your registration" in html


def test_no_cancel_and_no_calendar_once_the_event_is_over_and_the_certificate_and_survey(client):
    user = UserFactory()
    ended = EventFactory(title="Ended training", start=timezone.now() - timedelta(days=3))
    registration = RegistrationFactory(event=ended, user=user, attended=True)
    Certificate.objects.create(
        registration=registration,
        code="ABCD2345EFGH",
        full_name=user.full_name,
        event_title=ended.title,
        event_dates="…",
        sessions_attended=1,
        sessions_total=1,
    )
    client.force_login(user)
    html = client.get(MINE).content.decode()
    assert reverse("events:registration_cancel", kwargs={"pk": registration.pk}) not in html
    assert reverse("events:ics", kwargs={"slug": ended.slug}) not in html
    assert reverse("events:certificate_download", kwargs={"pk": registration.pk}) in html
    assert reverse("events:feedback", kwargs={"pk": registration.pk}) in html


def test_no_cancel_once_the_event_started_or_once_attended(client):
    user = UserFactory()
    now = timezone.now()
    started = EventFactory(start=now - timedelta(hours=1), end=now + timedelta(days=2))
    running = RegistrationFactory(event=started, user=user)
    attended = RegistrationFactory(
        event=EventFactory(start=now + timedelta(days=3)), user=user, attended=True
    )
    upcoming = RegistrationFactory(event=EventFactory(start=now + timedelta(days=9)), user=user)
    client.force_login(user)
    html = client.get(MINE).content.decode()
    for registration in (running, attended):
        url = reverse("events:registration_cancel", kwargs={"pk": registration.pk})
        assert url not in html
        # The page itself says so, and a post changes nothing.
        assert "can no longer be cancelled" in client.get(url).content.decode()
        client.post(url, {"reason": "late"})
        registration.refresh_from_db()
        assert registration.status == "confirmed"
        with pytest.raises(CancellationClosed):
            services.registration_cancel(registration=registration, by=user)
    assert reverse("events:registration_cancel", kwargs={"pk": upcoming.pk}) in html
    # The event still running keeps its calendar file; it has not ended.
    assert reverse("events:ics", kwargs={"slug": started.slug}) in html


def test_the_cancel_page_mentions_the_waiting_list_only_when_people_wait(client):
    user = UserFactory()
    quiet = RegistrationFactory(event=EventFactory(capacity=10), user=user)
    busy_event = EventFactory(capacity=1)
    busy = RegistrationFactory(event=busy_event, user=user)
    RegistrationFactory(event=busy_event, status="waitlisted")
    client.force_login(user)
    sentence = "next person on the waiting list"
    quiet_url = reverse("events:registration_cancel", kwargs={"pk": quiet.pk})
    busy_url = reverse("events:registration_cancel", kwargs={"pk": busy.pk})
    assert sentence not in client.get(quiet_url).content.decode()
    assert sentence in client.get(busy_url).content.decode()
