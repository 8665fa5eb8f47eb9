"""Every rule of registering, its message, and the emails that follow."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from events import services
from events.emails import emails_send_pending, reminders_queue
from events.exceptions import (
    AlreadyRegistered,
    CancellationClosed,
    ConsentRequired,
    InvalidInvitation,
    InvalidTransition,
    InvitationRequired,
    NoSeatAvailable,
    NotInAudience,
    RegistrationClosed,
    RegistrationNotOpenYet,
)
from events.models import EmailDelivery, Invitation, Question, Registration
from events.selectors import registrations_of_user, waiting_list_position
from repository.models import Audience
from tests.factories import EventFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db


def register(event, user=None, **kwargs):
    kwargs.setdefault("consent", True)
    return services.registration_create(event=event, user=user or UserFactory(), **kwargs)


# --- the rules ----------------------------------------------------------------------------------


def test_open_event_confirms_until_full_then_waitlists_in_order():
    event = EventFactory(capacity=2)
    first, second, third, fourth = (register(event) for _ in range(4))
    assert [r.status for r in (first, second, third, fourth)] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert waiting_list_position(registration=third) == 1
    assert waiting_list_position(registration=fourth) == 2


def test_unlimited_capacity_confirms_everyone():
    event = EventFactory(capacity=None)
    assert {register(event).status for _ in range(5)} == {"confirmed"}


def test_registration_window():
    now = timezone.now()
    with pytest.raises(RegistrationNotOpenYet) as error:
        register(EventFactory(registration_opens=now + timedelta(days=2)))
    assert "Registration opens on" in str(error.value.message)
    with pytest.raises(RegistrationClosed):
        register(EventFactory(registration_closes=now - timedelta(minutes=1)))
    with pytest.raises(RegistrationClosed):  # no closing time: it closes when the event starts
        register(EventFactory(start=now - timedelta(hours=1)))
    # An explicit closing time after the start keeps a long Marathon open while it runs.
    running = EventFactory(
        start=now - timedelta(days=3),
        end=now + timedelta(days=20),
        registration_closes=now + timedelta(days=10),
    )
    assert register(running).status == "confirmed"


@pytest.mark.parametrize("mode", ["closed", "external"])
def test_modes_without_registration_here(mode):
    event = EventFactory(registration_mode=mode, external_registration_url="https://example.org/r")
    with pytest.raises(RegistrationClosed):
        register(event)


@pytest.mark.parametrize("status", ["draft", "cancelled", "postponed"])
def test_only_published_events_take_registrations(status):
    with pytest.raises(RegistrationClosed):
        register(EventFactory(status=status))


def test_audience_restriction():
    event = EventFactory(audience_restricted=True)
    event.audiences.add(Audience.objects.get(code="regulator"))
    with pytest.raises(NotInAudience) as error:
        register(event, UserFactory(organisation_type="manufacturer"))
    assert "National regulatory authority" in str(error.value.message)
    verified = UserFactory(organisation_type="regulator", is_verified_regulator=True)
    assert register(event, verified).status == "confirmed"
    # A type of organisation that only the person declared waits for the organisers.
    assert register(event, UserFactory(organisation_type="regulator")).status == "pending"
    # Audiences without the restriction are only a description.
    open_event = EventFactory()
    open_event.audiences.add(Audience.objects.get(code="regulator"))
    assert register(open_event, UserFactory(organisation_type="manufacturer")).status == "confirmed"


def test_one_active_registration_per_person_and_event():
    event = EventFactory()
    user = UserFactory()
    registration = register(event, user)
    with pytest.raises(AlreadyRegistered):
        register(event, user)
    # After cancelling, the person may register again.
    services.registration_cancel(registration=registration, by=user)
    assert register(event, user).status == "confirmed"


def test_the_database_refuses_a_second_active_registration():
    existing = RegistrationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationFactory(event=existing.event, user=existing.user, status="waitlisted")
    RegistrationFactory(event=existing.event, user=existing.user, status="cancelled")


def test_consent_is_required():
    with pytest.raises(ConsentRequired):
        register(EventFactory(), consent=False)
    assert not Registration.objects.exists()


def test_invitation_codes():
    event = EventFactory(registration_mode="invitation")
    Invitation.objects.create(event=event, code="OPEN-CODE", max_uses=2)
    Invitation.objects.create(event=event, code="FOR-AMINA", email="amina@example.org")
    Invitation.objects.create(
        event=event, code="EXPIRED", expires_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(InvitationRequired):
        register(event)
    with pytest.raises(InvalidInvitation):
        register(event, invitation_code="WRONG")
    with pytest.raises(InvalidInvitation):
        register(event, invitation_code="EXPIRED")
    with pytest.raises(InvalidInvitation):  # bound to another person's address
        register(event, invitation_code="FOR-AMINA")
    assert register(event, UserFactory(email="amina@example.org"), invitation_code="for-amina")
    assert register(event, invitation_code="OPEN-CODE")
    assert register(event, invitation_code="open-code")
    with pytest.raises(InvalidInvitation):  # used up
        register(event, invitation_code="OPEN-CODE")
    assert Invitation.objects.get(code="OPEN-CODE").uses == 2


def test_cancellation_promotes_exactly_the_next_person():
    event = EventFactory(capacity=1)
    first, second, third = (register(event) for _ in range(3))
    promoted = services.registration_cancel(registration=first, by=first.user)
    assert promoted.pk == second.pk
    statuses = dict(Registration.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "cancelled", second.pk: "confirmed", third.pk: "waitlisted"}
    assert waiting_list_position(registration=third) == 1


def test_cancelling_a_waiting_place_promotes_nobody():
    event = EventFactory(capacity=1)
    register(event)
    waiting = register(event)
    assert services.registration_cancel(registration=waiting, by=waiting.user) is None


def test_participants_cannot_cancel_after_the_deadline_but_staff_can():
    now = timezone.now()
    event = EventFactory(cancellation_deadline=now + timedelta(hours=1))
    registration = register(event)
    event.cancellation_deadline = now - timedelta(minutes=1)
    event.save()
    with pytest.raises(CancellationClosed):
        services.registration_cancel(registration=registration, by=registration.user)
    services.registration_cancel(registration=registration, by=UserFactory(is_staff=True))
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def test_approval_mode_and_approval_beyond_capacity():
    event = EventFactory(registration_mode="approval", capacity=1)
    staff = UserFactory(is_staff=True)
    a, b, c = (register(event) for _ in range(3))
    assert {a.status, b.status, c.status} == {"pending"}
    assert services.registration_approve(registration=a, by=staff).status == "confirmed"
    assert services.registration_approve(registration=b, by=staff).status == "waitlisted"
    assert services.registration_reject(registration=c, by=staff).status == "rejected"
    with pytest.raises(InvalidTransition):
        services.registration_approve(registration=c, by=staff)
    with pytest.raises(NoSeatAvailable):
        services.registration_promote(registration=b, by=staff)
    # When the confirmed person cancels, the approved person waiting gets the seat.
    services.registration_cancel(registration=a, by=a.user)
    b.refresh_from_db()
    assert b.status == "confirmed"


def test_raising_capacity_fills_from_the_waiting_list_in_order():
    event = EventFactory(capacity=1)
    register(event)
    waiting = [register(event) for _ in range(3)]
    event.capacity = 3
    event.save()
    promoted = services.event_fill_from_waiting_list(event=event)
    assert [r.pk for r in promoted] == [waiting[0].pk, waiting[1].pk]


def test_every_status_change_is_recorded_with_who_and_why():
    event = EventFactory(registration_mode="approval")
    staff = UserFactory(is_staff=True)
    registration = register(event)
    services.registration_approve(registration=registration, by=staff)
    services.registration_cancel(registration=registration, by=registration.user, reason="ill")
    history = list(
        registration.status_changes.values_list("from_status", "to_status", "changed_by", "reason")
    )
    assert history == [
        ("", "pending", registration.user.pk, "registered"),
        ("pending", "confirmed", staff.pk, "approved"),
        ("confirmed", "cancelled", registration.user.pk, "ill"),
    ]


def test_the_profile_is_snapshotted_at_registration():
    user = UserFactory(organisation="Old Org", country="NP")
    registration = register(EventFactory(), user)
    user.organisation = "New Org"
    user.country = "FR"
    user.save()
    registration.refresh_from_db()
    assert (registration.organisation, registration.country.code, registration.who_region) == (
        "Old Org",
        "NP",
        "SEARO",
    )


# --- emails -------------------------------------------------------------------------------------


def test_confirmation_is_sent_once_after_commit_with_calendar_and_meeting_link(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(meeting_url="https://meet.example.org/room-42")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        register(event, UserFactory(email="grace@example.org"))
        assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["grace@example.org"]
    assert "Your place is confirmed" in message.subject
    assert "https://meet.example.org/room-42" in message.body
    assert event.get_absolute_url() in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and event.title in html
    (filename, ics, ics_type) = message.attachments[0]
    assert (
        filename.endswith(".ics") and "BEGIN:VEVENT" in ics and ics_type.startswith("text/calendar")
    )
    # A retried task sends nothing more.
    from events.tasks import send_email

    send_email.enqueue(EmailDelivery.objects.get().pk)
    assert len(mail.outbox) == 1


def test_emails_are_in_the_preferred_language(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(EventFactory(), UserFactory(preferred_language="fr"))
    assert mail.outbox[0].subject.startswith("Votre place est confirmée")


@pytest.mark.parametrize(
    ("capacity", "mode", "subject"),
    [(0, "open", "waiting list"), (None, "approval", "received your registration request")],
)
def test_waitlisted_and_pending_emails(django_capture_on_commit_callbacks, capacity, mode, subject):
    with django_capture_on_commit_callbacks(execute=True):
        register(EventFactory(capacity=capacity, registration_mode=mode))
    assert subject in mail.outbox[0].subject
    assert "meet." not in mail.outbox[0].body


def test_promotion_and_cancellation_emails(django_capture_on_commit_callbacks):
    event = EventFactory(capacity=1)
    first, second = register(event), register(event)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=first, by=first.user)
    subjects = sorted(message.subject for message in mail.outbox)
    assert [message.to for message in sorted(mail.outbox, key=lambda m: m.subject)] == [
        [second.user.email],
        [first.user.email],
    ]
    assert "A place is free for you" in subjects[0]
    assert "Your registration is cancelled" in subjects[1]


@override_settings(EMAIL_BACKEND="tests.events.failing_backend.FailingBackend")
def test_a_failing_mail_server_keeps_the_registration_and_retries(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(EventFactory())
    registration.refresh_from_db()
    assert registration.status == "confirmed"
    delivery = EmailDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "SMTPServerDisconnected" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    # Not due yet: nothing is retried.
    assert emails_send_pending() == {}
    # The server is back, and the retry is due.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        outcome = emails_send_pending(now=timezone.now() + timedelta(minutes=5))
        assert outcome == {"sent": 1}
        assert emails_send_pending(now=timezone.now() + timedelta(hours=1)) == {}
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2
    assert len(mail.outbox) == 1


def test_reminders_are_queued_once(django_capture_on_commit_callbacks):
    now = timezone.now()
    soon = EventFactory(start=now + timedelta(days=2), registration_closes=now + timedelta(days=1))
    very_soon = EventFactory(
        start=now + timedelta(hours=2), registration_closes=now + timedelta(hours=1)
    )
    later = EventFactory(start=now + timedelta(days=10))
    for event in (soon, very_soon, later):
        register(event)
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders_queue(now=now)
    assert first == {"reminder_days": 1, "reminder_hours": 1}
    assert reminders_queue(now=now) == {"reminder_days": 0, "reminder_hours": 0}
    assert reminders_queue(now=now + timedelta(minutes=10)) == {
        "reminder_days": 0,
        "reminder_hours": 0,
    }
    keys = set(
        EmailDelivery.objects.filter(key__startswith="reminder").values_list("key", flat=True)
    )
    assert len(keys) == 2
    # The event two days away gets its few-hours reminder later, once.
    assert reminders_queue(now=soon.start - timedelta(hours=2)) == {
        "reminder_days": 0,
        "reminder_hours": 1,
    }


def test_reminders_skip_cancelled_registrations():
    now = timezone.now()
    event = EventFactory(start=now + timedelta(days=2), registration_closes=now + timedelta(days=1))
    registration = register(event)
    services.registration_cancel(registration=registration, by=registration.user)
    assert reminders_queue(now=now) == {"reminder_days": 0, "reminder_hours": 0}


# --- pages --------------------------------------------------------------------------------------


def test_register_through_the_event_page(client, django_capture_on_commit_callbacks):
    event = EventFactory(capacity=10)
    Question.objects.create(event=event, label="Your role in QA?", kind="short_text", required=True)
    Question.objects.create(
        event=event, label="Sessions you will attend", kind="multiple_choice", choices="A\nB\nC"
    )
    user = UserFactory()
    client.force_login(user)
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Your role in QA?" in page and 'name="consent"' in page

    # A required question left blank: the form comes back with the error, nothing is saved.
    response = client.post(event.get_absolute_url(), {"consent": "on"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Registration.objects.exists()

    question_ids = list(event.questions.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            event.get_absolute_url(),
            {
                f"q{question_ids[0]}": "Validation lead",
                f"q{question_ids[1]}": ["A", "C"],
                "consent": "on",
            },
        )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.answers[str(question_ids[0])]["answer"] == "Validation lead"
    assert registration.answers[str(question_ids[1])]["answer"] == ["A", "C"]
    page = client.get(event.get_absolute_url()).content.decode()
    assert "You are registered: your place is confirmed." in page
    assert len(mail.outbox) == 1


def test_registration_errors_are_shown_as_messages(client):
    event = EventFactory(registration_mode="invitation")
    client.force_login(UserFactory())
    response = client.post(
        event.get_absolute_url(), {"consent": "on", "invitation_code": "NOPE"}, follow=True
    )
    assert "This invitation code is not valid" in response.content.decode()
    assert not Registration.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    event = EventFactory()
    html = client.get(event.get_absolute_url()).content.decode()
    assert "Sign in to register" in html
    response = client.post(event.get_absolute_url(), {"consent": "on"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Registration.objects.exists()


def test_full_event_offers_the_waiting_list_and_shows_the_position(client):
    event = EventFactory(capacity=1)
    register(event)
    register(event)
    user = UserFactory()
    client.force_login(user)
    assert "Join the waiting list" in client.get(event.get_absolute_url()).content.decode()
    client.post(event.get_absolute_url(), {"consent": "on"})
    html = client.get(event.get_absolute_url()).content.decode()
    assert "You are on the waiting list." in html
    assert "Your position on the waiting list: <strong>2</strong>" in html


def test_meeting_link_only_for_confirmed_registrants(client):
    event = EventFactory(capacity=1, meeting_url="https://meet.example.org/secret-room")
    confirmed, waiting = register(event), register(event)
    for registration, visible in ((confirmed, True), (waiting, False)):
        client.force_login(registration.user)
        for url in (event.get_absolute_url(), reverse("events:my_registrations")):
            assert ("secret-room" in client.get(url).content.decode()) is visible


def test_my_registrations_and_cancel(client):
    event = EventFactory(capacity=1)
    other = register(event)
    mine = register(event)
    client.force_login(mine.user)
    html = client.get(reverse("events:my_registrations")).content.decode()
    assert event.title in html and "Position 1 on the waiting list" in html
    cancel_url = reverse("events:registration_cancel", kwargs={"pk": mine.pk})
    assert client.get(cancel_url).status_code == 200
    response = client.post(cancel_url, {"reason": "Plans changed"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == "cancelled"
    # Another person's registration can be neither seen nor cancelled.
    other_url = reverse("events:registration_cancel", kwargs={"pk": other.pk})
    assert client.get(other_url).status_code == 404
    assert client.post(other_url).status_code == 404
    other.refresh_from_db()
    assert other.status == "confirmed"


def test_my_registrations_query_count(client, django_assert_max_num_queries):
    user = UserFactory()
    for capacity in (None, 0, 0, None, 0):
        event = EventFactory(capacity=capacity)
        RegistrationFactory.create_batch(3, event=event, status="waitlisted")
        register(event, user)
    client.force_login(user)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("events:my_registrations"))
    entries = response.context["registrations"].upcoming
    positions = [entry.registration.position for entry in entries]
    assert sorted(p for p in positions if p) == [4, 4, 4]
    assert len(registrations_of_user(user=user).upcoming) == 5
