"""One rule says where an event's registration stands: the cards of the lists, the event page
and the registration service agree."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.exceptions import InvalidInvitation, RegistrationClosed, RegistrationNotOpenYet
from events.models import RegistrationStatus
from tests.factories import EventFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("events:list")


def _event(**fields):
    now = timezone.now()
    if days := fields.pop("opens_in_days", None):
        fields["registration_opens"] = now + timedelta(days=days)
    if days := fields.pop("closed_days_ago", None):
        fields["registration_closes"] = now - timedelta(days=days)
    confirmed = fields.pop("confirmed", 0)
    event = EventFactory(**fields)
    RegistrationFactory.create_batch(confirmed, event=event)
    return event


CASES = [
    ({}, RegistrationStatus.OPEN, "Registration open"),
    ({"capacity": 40, "confirmed": 37}, RegistrationStatus.FEW_LEFT, "Few places left"),
    ({"capacity": 40, "confirmed": 30}, RegistrationStatus.OPEN, "Registration open"),
    ({"capacity": 3, "confirmed": 3}, RegistrationStatus.FULL, "Full – waiting list"),
    ({"registration_mode": "approval"}, RegistrationStatus.APPROVAL, "Approval required"),
    ({"registration_mode": "invitation"}, RegistrationStatus.INVITATION, "By invitation"),
    ({"closed_days_ago": 1}, RegistrationStatus.CLOSED, "Registration closed"),
    ({"status": "cancelled"}, RegistrationStatus.CANCELLED, "Cancelled"),
    ({"opens_in_days": 3}, RegistrationStatus.NOT_YET, "Opens on "),
]


@pytest.mark.parametrize(("fields", "status", "label"), CASES)
def test_cards_show_the_registration_state_at_a_glance(client, fields, status, label):
    event = _event(title="The event", **fields)
    assert event.registration_status() == status
    html = client.get(LIST).content.decode()
    card = html[html.index("The event") :]
    card = card[: card.index("</li>")]
    assert f'data-state="{status}"' in card and label in card


def test_opens_on_is_the_date_in_the_event_time_zone(client):
    # 23:30 UTC on 2 May is already 3 May in Kathmandu.
    opens = datetime(2099, 5, 2, 23, 30, tzinfo=UTC)
    EventFactory(
        time_zone="Asia/Kathmandu",
        registration_opens=opens,
        start=opens + timedelta(days=30),
        end=opens + timedelta(days=31),
    )
    assert "Opens on 3 May" in client.get(LIST).content.decode()


def test_the_service_and_the_cards_agree(client):
    user = UserFactory()
    for fields, _status, _label in CASES:
        event = _event(**fields)
        shown = event.registration_status()
        try:
            services.registration_create(event=event, user=user, consent=True, invitation_code="x")
        except RegistrationNotOpenYet:
            assert shown == RegistrationStatus.NOT_YET
        except RegistrationClosed:
            assert shown in (RegistrationStatus.CLOSED, RegistrationStatus.CANCELLED)
        except InvalidInvitation:  # the event takes registrations, with the right code
            assert shown == RegistrationStatus.INVITATION
        else:
            assert shown in RegistrationStatus.TAKING, (fields, shown)


def test_few_places_left_is_said_on_the_event_page_too(client):
    event = _event(capacity=40, confirmed=38)
    html = client.get(event.get_absolute_url()).content.decode()
    assert "Only 2 places are left." in html


def test_the_list_counts_seats_in_the_same_query_whatever_the_number_of_events(
    client, django_assert_max_num_queries
):
    for number in range(30):
        event = EventFactory(capacity=5)
        RegistrationFactory.create_batch(number % 6, event=event)
    with django_assert_max_num_queries(16):
        response = client.get(LIST)
    states = {event.registration_status() for event in response.context["events"]}
    assert states == {RegistrationStatus.OPEN, RegistrationStatus.FEW_LEFT, RegistrationStatus.FULL}
