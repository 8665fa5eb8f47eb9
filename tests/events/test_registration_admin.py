from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from events.emails import email_queue
from events.models import (
    Attendance,
    EmailDelivery,
    Event,
    Feedback,
    Invitation,
    Question,
    Registration,
    RegistrationStatusChange,
)
from tests.factories import (
    EventFactory,
    ProgrammeFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:events_registration_changelist")


def staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def manager_client(client):
    client.force_login(staff_in(EVENT_MANAGERS))
    return client


def run_action(client, action: str, registrations) -> tuple:
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [registration.pk for registration in registrations]},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def statuses(*registrations) -> list[str]:
    return [Registration.objects.get(pk=registration.pk).status for registration in registrations]


# --- actions ------------------------------------------------------------------------------------


def test_approve_confirms_while_seats_are_free_then_fills_the_waiting_list(
    manager_client, django_capture_on_commit_callbacks
):
    event = EventFactory(registration_mode="approval", capacity=2)
    RegistrationFactory(event=event)
    now = timezone.now()
    first = RegistrationFactory(event=event, status="pending", created_at=now)
    second = RegistrationFactory(
        event=event, status="pending", created_at=now + timedelta(minutes=1)
    )
    confirmed_already = RegistrationFactory(event=EventFactory())

    with django_capture_on_commit_callbacks(execute=True):
        reported = run_action(manager_client, "approve", [second, first, confirmed_already])

    assert statuses(first, second) == ["confirmed", "waitlisted"]
    assert reported[0] == (
        "success",
        "Approved 2 requests (1 on the waiting list: the event is full).",
    )
    assert reported[1][0] == "warning"
    assert "1 registration was not changed" in reported[1][1]
    assert "Only pending requests can be approved." in reported[1][1]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [first.user.email, second.user.email]
    )
    change = RegistrationStatusChange.objects.filter(registration=second).latest("pk")
    assert (change.from_status, change.to_status) == ("pending", "waitlisted")
    assert change.changed_by.groups.filter(name=EVENT_MANAGERS).exists()


def test_reject_refuses_a_confirmed_registration(manager_client):
    event = EventFactory(registration_mode="approval")
    pending, confirmed = (
        RegistrationFactory(event=event, status="pending"),
        RegistrationFactory(event=event),
    )
    reported = run_action(manager_client, "reject", [pending, confirmed])
    assert statuses(pending, confirmed) == ["rejected", "confirmed"]
    assert reported[0] == ("success", "Rejected 1 request.")
    assert reported[1][0] == "warning"


def test_promote_without_a_free_seat_warns_and_changes_nothing(manager_client):
    event = EventFactory(capacity=1)
    RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status="waitlisted")
    emails_before = EmailDelivery.objects.count()

    reported = run_action(manager_client, "promote", [waiting])

    assert statuses(waiting) == ["waitlisted"]
    assert len(reported) == 1
    level, text = reported[0]
    assert level == "warning"
    assert "The event is full: no seat is free." in text
    assert waiting.full_name in text
    assert not RegistrationStatusChange.objects.filter(registration=waiting).exists()
    assert EmailDelivery.objects.count() == emails_before


def test_promote_with_a_free_seat_confirms(manager_client):
    event = EventFactory(capacity=2)
    RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status="waitlisted")
    reported = run_action(manager_client, "promote", [waiting])
    assert statuses(waiting) == ["confirmed"]
    assert reported == [("success", "Confirmed 1 person from the waiting list.")]


def test_cancel_frees_the_seat_for_the_first_person_waiting(manager_client):
    event = EventFactory(capacity=1)
    confirmed = RegistrationFactory(event=event)
    now = timezone.now()
    first = RegistrationFactory(event=event, status="waitlisted", waitlisted_at=now)
    later = RegistrationFactory(
        event=event, status="waitlisted", waitlisted_at=now + timedelta(minutes=1)
    )
    reported = run_action(manager_client, "cancel", [confirmed])
    assert statuses(confirmed, first, later) == ["cancelled", "confirmed", "waitlisted"]
    assert reported == [
        ("success", "Cancelled 1 registration (1 confirmed from the waiting list).")
    ]


def test_resend_confirmation_queues_one_more_email(
    manager_client, django_capture_on_commit_callbacks
):
    confirmed = RegistrationFactory()
    pending = RegistrationFactory(status="pending")
    emails_before = EmailDelivery.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        reported = run_action(manager_client, "resend_confirmation", [confirmed, pending])

    assert EmailDelivery.objects.count() == emails_before + 1
    assert [message.to for message in mail.outbox] == [[confirmed.user.email]]
    assert "Your place is confirmed" in mail.outbox[0].subject
    assert reported[0] == ("success", "Queued 1 confirmation email.")
    assert "Only confirmed registrations get a confirmation." in reported[1][1]


def test_mark_attended_records_attendance_at_every_session(manager_client):
    event = EventFactory(start=timezone.now() - timedelta(days=3))
    sessions = SessionFactory.create_batch(3, event=event)
    present, absent = RegistrationFactory(event=event), RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status="waitlisted")
    no_sessions = RegistrationFactory()

    reported = run_action(manager_client, "mark_attended", [present, waiting, no_sessions])

    assert set(
        Attendance.objects.filter(registration=present).values_list("session", flat=True)
    ) == {session.pk for session in sessions}
    assert Attendance.objects.get(registration=present, session=sessions[0]).source == "admin"
    assert not Attendance.objects.filter(registration__in=[absent, waiting]).exists()
    present.refresh_from_db()
    assert present.attended
    assert reported[0] == (
        "success",
        "Marked 1 registration as present at every session of its event that has started "
        "(3 new attendance records).",
    )
    assert reported[1][0] == "warning"
    assert "2 registrations were not changed" in reported[1][1]
    assert "only confirmed registrations attend" in reported[1][1]
    assert "the event has no sessions" in reported[1][1]

    # Marking again adds nothing.
    reported = run_action(manager_client, "mark_attended", [present])
    assert "(0 new attendance records)" in reported[-1][1]
    assert Attendance.objects.filter(registration=present).count() == 3


def test_registrations_cannot_be_added_edited_or_deleted_by_hand(manager_client):
    registration = RegistrationFactory(
        answers={"7": {"question": "Topics of interest", "answer": ["Audits", "Validation"]}}
    )
    RegistrationStatusChange.objects.create(
        registration=registration, from_status="", to_status="confirmed", reason="registered"
    )
    assert manager_client.get(reverse("admin:events_registration_add")).status_code == 403
    url = reverse("admin:events_registration_change", args=[registration.pk])
    page = manager_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<strong>Topics of interest:</strong> Audits; Validation" in html
    assert "– → Confirmed" in html  # the history
    assert 'name="full_name"' not in html  # read-only
    manager_client.post(url, {"full_name": "Someone else", "status": "cancelled"})
    registration.refresh_from_db()
    assert (registration.status, registration.full_name) != ("cancelled", "Someone else")
    delete = reverse("admin:events_registration_delete", args=[registration.pk])
    assert manager_client.post(delete, {"post": "yes"}).status_code == 403
    assert Registration.objects.filter(pk=registration.pk).exists()


def test_changelist_filters_and_search(manager_client):
    event = EventFactory(title="Week of Quality")
    RegistrationFactory(event=event, user__full_name="Amara Diallo", user__country="SN")
    RegistrationFactory(
        user__full_name="Bo Nguyen", user__country="VN", user__organisation_type="regulator"
    )

    def names(params) -> set[str]:
        response = manager_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return {registration.full_name for registration in response.context["cl"].result_list}

    assert names({}) == {"Amara Diallo", "Bo Nguyen"}
    assert names({"event__id__exact": event.pk}) == {"Amara Diallo"}
    assert names({"who_region": "WPRO"}) == {"Bo Nguyen"}
    assert names({"organisation_type": "regulator"}) == {"Bo Nguyen"}
    assert names({"country": "SN"}) == {"Amara Diallo"}
    assert names({"q": "amara"}) == {"Amara Diallo"}
    html = manager_client.get(CHANGELIST).content.decode()
    assert "African Region" in html and "National regulatory authority" in html


def test_changelist_query_count_does_not_grow_with_registrations(
    manager_client, django_assert_max_num_queries
):
    event = EventFactory()
    RegistrationFactory(event=event)
    with CaptureQueriesContext(connection) as one:
        assert manager_client.get(CHANGELIST).status_code == 200
    RegistrationFactory.create_batch(50, event=event)
    RegistrationFactory.create_batch(50, event=EventFactory(), user__country="IN")
    with django_assert_max_num_queries(len(one)):
        response = manager_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 100
    assert len(one) <= 10


# --- who may see registrations ------------------------------------------------------------------


def test_content_editors_see_no_registrations(client):
    event = EventFactory()
    registration = RegistrationFactory(event=event)
    editor = staff_in(CONTENT_EDITORS)
    client.force_login(editor)
    for url in (
        CHANGELIST,
        reverse("admin:events_registration_change", args=[registration.pk]),
        reverse("admin:events_event_registrations_csv", args=[event.pk]),
        reverse("admin:events_event_summary", args=[event.pk]),
        reverse("admin:events_event_attendance_import", args=[event.pk]),
        reverse("admin:events_emaildelivery_changelist"),
        reverse("admin:events_feedback_changelist"),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [registration.pk]}
    )
    assert response.status_code == 403
    for model in ("registration", "registrationstatuschange", "emaildelivery", "feedback"):
        assert not editor.has_perm(f"events.view_{model}")


# --- summary of one event -----------------------------------------------------------------------


@pytest.fixture
def summary_event():
    event = EventFactory(capacity=10, title="Week of Quality")
    opening, closing = SessionFactory(event=event), SessionFactory(event=event)
    kenyans = [RegistrationFactory(event=event, user__country="KE") for _ in range(3)]
    RegistrationFactory(event=event, user__country="IN", user__organisation_type="regulator")
    RegistrationFactory(event=event, user__country="FR", status="waitlisted")
    RegistrationFactory(event=event, user__country="KE", status="pending")
    RegistrationFactory(event=event, user__country="BR", status="cancelled")
    RegistrationFactory(event=event, user__country="KE", status="rejected")
    for registration in kenyans[:2]:
        Attendance.objects.create(registration=registration, session=opening)
        Registration.objects.filter(pk=registration.pk).update(attended=True)
    Attendance.objects.create(registration=kenyans[0], session=closing)
    Feedback.objects.create(registration=kenyans[0], rating=5, most_useful_session=opening)
    Feedback.objects.create(registration=kenyans[1], rating=3, comments="More case studies")
    return event


def test_summary_counts_by_status_country_region_and_session(
    manager_client, summary_event, django_assert_max_num_queries
):
    url = reverse("admin:events_event_summary", args=[summary_event.pk])
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(url)
    assert response.status_code == 200
    summary = response.context["summary"]
    assert [(str(label), count) for label, count in summary["statuses"]] == [
        ("Registered (all)", 8),
        ("Confirmed", 4),
        ("On the waiting list", 1),
        ("Pending approval", 1),
        ("Cancelled", 1),
        ("Rejected", 1),
    ]
    assert (summary["attended"], summary["capacity"], summary["seats_left"]) == (2, 10, 6)
    assert summary["countries_count"] == 3
    assert summary["countries_attended_count"] == 1
    assert [
        (row["label"], row["registrations"], row["present"]) for row in summary["countries"]
    ] == [
        ("Kenya", 4, 2),
        ("France", 1, 0),
        ("India", 1, 0),
    ]
    assert [(row["label"], row["registrations"]) for row in summary["regions"]] == [
        ("African Region", 4),
        ("European Region", 1),
        ("South-East Asia Region", 1),
    ]
    assert [(row["label"], row["registrations"]) for row in summary["organisation_types"]] == [
        ("Manufacturer", 5),
        ("National regulatory authority", 1),
    ]
    assert [session["present"] for session in summary["sessions"]] == [2, 1]
    assert summary["feedback"]["count"] == 2
    html = response.content.decode()
    for text in ("Kenya", "African Region", "More case studies", "Seats left"):
        assert text in html

    # More registrations, sessions and feedback, the same number of queries.
    more = EventFactory()
    for country in ("NP", "PE", "GH", "VN"):
        registration = RegistrationFactory(event=summary_event, user__country=country)
        Attendance.objects.create(
            registration=registration, session=SessionFactory(event=summary_event)
        )
        Feedback.objects.create(registration=registration, rating=4)
        RegistrationFactory(event=more, user__country=country)
    with django_assert_max_num_queries(len(queries)):
        assert manager_client.get(url).status_code == 200
    assert len(queries) <= 14


def test_event_change_page_links_to_the_registration_pages(manager_client, summary_event):
    html = manager_client.get(
        reverse("admin:events_event_change", args=[summary_event.pk])
    ).content.decode()
    for name in ("summary", "registrations_csv", "attendance_import"):
        assert reverse(f"admin:events_event_{name}", args=[summary_event.pk]) in html
    assert "Registration summary" in html and "Import attendance (CSV)" in html


def test_summary_of_a_missing_event_is_not_found(manager_client):
    assert manager_client.get(reverse("admin:events_event_summary", args=[999])).status_code == 404


# --- attendance import --------------------------------------------------------------------------


def csv_file(text: str, name: str = "participants.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_attendance_import_shows_the_report(manager_client):
    event = EventFactory(start=timezone.now() - timedelta(days=3))
    session = SessionFactory(event=event)
    SessionFactory(event=EventFactory())  # not offered
    present = RegistrationFactory(event=event, user__email="amara@example.org")
    UserFactory(email="not.registered@example.org")
    url = reverse("admin:events_event_attendance_import", args=[event.pk])

    page = manager_client.get(url)
    assert page.status_code == 200
    assert list(page.context["form"].fields["session"].queryset) == [session]

    response = manager_client.post(
        url,
        {
            "session": session.pk,
            "file": csv_file(
                "Name,Email\n"
                "Amara Diallo,amara@example.org\n"
                "Someone,not.registered@example.org\n"
                "Stranger,stranger@example.org\n"
            ),
        },
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert report.marked == ["amara@example.org"]
    assert report.not_registered == ["not.registered@example.org"]
    assert report.unknown == ["stranger@example.org"]
    assert Attendance.objects.filter(registration=present, session=session).exists()
    html = response.content.decode()
    assert report.summary in html
    assert "Marked present" in html
    assert "An account, but no confirmed registration for this event" in html
    assert "No account with this email address" in html


def test_attendance_import_of_an_unreadable_file_shows_the_error_and_changes_nothing(
    manager_client,
):
    event = EventFactory()
    session = SessionFactory(event=event)
    RegistrationFactory(event=event)
    url = reverse("admin:events_event_attendance_import", args=[event.pk])
    response = manager_client.post(
        url, {"session": session.pk, "file": csv_file("nothing useful here\n1,2,3\n")}
    )
    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["form"].errors["file"]
    assert not Attendance.objects.exists()


def test_attendance_import_refuses_a_session_of_another_event(manager_client):
    event = EventFactory()
    other_session = SessionFactory(event=EventFactory())
    url = reverse("admin:events_event_attendance_import", args=[event.pk])
    response = manager_client.post(
        url, {"session": other_session.pk, "file": csv_file("Email\na@example.org\n")}
    )
    assert response.status_code == 200
    assert "session" in response.context["form"].errors
    assert not Attendance.objects.exists()


# --- the event form: questions, invitations, capacity -------------------------------------------


def management_form(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def event_form_data(event: Event, **overrides) -> dict:
    start = timezone.localtime(event.start, event.tz)
    end = timezone.localtime(event.end, event.tz)
    data = {
        "programme": event.programme_id,
        "title": event.title,
        "slug": event.slug,
        "edition_year": str(event.edition_year),
        "summary": event.summary,
        "status": event.status,
        "time_zone": event.time_zone,
        "start_0": f"{start:%Y-%m-%d}",
        "start_1": f"{start:%H:%M}",
        "end_0": f"{end:%Y-%m-%d}",
        "end_1": f"{end:%H:%M}",
        "format": event.format,
        "region": event.region,
        "registration_mode": event.registration_mode,
        "capacity": "" if event.capacity is None else str(event.capacity),
        "sessions_required": str(event.sessions_required),
        **management_form("sessions"),
        **management_form("questions"),
        **management_form("invitations"),
    }
    data.update(overrides)
    return data


def test_raising_the_capacity_confirms_people_waiting_in_order(
    manager_client, django_capture_on_commit_callbacks
):
    event = EventFactory(capacity=1, programme=ProgrammeFactory())
    RegistrationFactory(event=event)
    now = timezone.now()
    # Registered in one order, put on the waiting list in another: the list's order counts.
    third = RegistrationFactory(event=event, status="waitlisted", waitlisted_at=now)
    first = RegistrationFactory(
        event=event, status="waitlisted", waitlisted_at=now - timedelta(hours=2)
    )
    second = RegistrationFactory(
        event=event, status="waitlisted", waitlisted_at=now - timedelta(hours=1)
    )
    url = reverse("admin:events_event_change", args=[event.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, event_form_data(event, capacity="3"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert statuses(first, second, third) == ["confirmed", "confirmed", "waitlisted"]
    assert "2 people were confirmed from the waiting list." in [
        str(message) for message in get_messages(response.wsgi_request)
    ]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [first.user.email, second.user.email]
    )

    # No limit any more: everyone waiting gets a seat.
    event.refresh_from_db()
    response = manager_client.post(url, event_form_data(event, capacity=""))
    assert response.status_code == 302
    assert statuses(third) == ["confirmed"]


def test_lowering_the_capacity_promotes_no_one(manager_client):
    event = EventFactory(capacity=5)
    RegistrationFactory.create_batch(2, event=event)
    waiting = RegistrationFactory(event=event, status="waitlisted")
    response = manager_client.post(
        reverse("admin:events_event_change", args=[event.pk]), event_form_data(event, capacity="4")
    )
    assert response.status_code == 302
    assert statuses(waiting) == ["waitlisted"]


def test_questions_and_invitations_are_edited_on_the_event(manager_client):
    event = EventFactory(registration_mode="invitation")
    url = reverse("admin:events_event_change", args=[event.pk])
    data = event_form_data(
        event,
        **management_form("questions", total=1),
        **management_form("invitations", total=2),
        **{
            "questions-0-label": "Topics of interest",
            "questions-0-help_text": "",
            "questions-0-kind": "multiple_choice",
            "questions-0-choices": "Audits\nValidation",
            "questions-0-required": "on",
            "questions-0-order": "0",
            "invitations-0-code": "",
            "invitations-0-email": "amara@example.org",
            "invitations-0-max_uses": "1",
            "invitations-1-code": "MINISTRY-K7PX",
            "invitations-1-email": "",
            "invitations-1-max_uses": "20",
        },
    )
    response = manager_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    question = event.questions.get()
    assert question.choice_list == ["Audits", "Validation"] and question.required
    made_up = Invitation.objects.get(event=event, email="amara@example.org")
    assert len(made_up.code) == 10 and made_up.code.isalnum() and made_up.uses == 0
    assert Invitation.objects.get(event=event, code="MINISTRY-K7PX").max_uses == 20


def test_a_choice_question_without_choices_is_refused(manager_client):
    event = EventFactory()
    data = event_form_data(
        event,
        **management_form("questions", total=1),
        **{
            "questions-0-label": "Which product?",
            "questions-0-kind": "single_choice",
            "questions-0-choices": "Only one",
            "questions-0-order": "0",
        },
    )
    response = manager_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert "Give at least two choices, one per line." in response.content.decode()
    assert not event.questions.exists()


# --- emails and feedback ------------------------------------------------------------------------


def test_retry_now_sends_failed_emails_and_leaves_sent_ones(
    manager_client, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory()
    with django_capture_on_commit_callbacks(execute=False):
        failed = email_queue(registration=registration, kind="confirmed")
        sent = email_queue(registration=registration, kind="reminder_days")
    EmailDelivery.objects.filter(pk=failed.pk).update(status="failed", attempts=1)
    EmailDelivery.objects.filter(pk=sent.pk).update(status="sent", sent_at=timezone.now())

    response = manager_client.post(
        reverse("admin:events_emaildelivery_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
    )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 2)
    assert [message.subject for message in mail.outbox] == [failed.subject]
    reported = [str(message) for message in get_messages(response.wsgi_request)]
    assert reported[0] == "Sent 1 email."
    assert "1 email was left alone" in reported[1]


def test_emails_and_feedback_are_listed_read_only(manager_client):
    registration = RegistrationFactory()
    with_feedback = RegistrationFactory(event=registration.event)
    email_queue(registration=registration, kind="confirmed")
    Feedback.objects.create(registration=with_feedback, rating=4, topics_wanted="Sterile products")

    emails = manager_client.get(reverse("admin:events_emaildelivery_changelist"))
    assert emails.status_code == 200 and registration.user.email in emails.content.decode()
    feedback = manager_client.get(
        reverse("admin:events_feedback_changelist"), {"rating": "4"}
    ).content.decode()
    assert "Sterile products" in feedback
    assert with_feedback.full_name not in feedback  # answers are shown without names
    for name in ("emaildelivery", "feedback"):
        assert manager_client.get(reverse(f"admin:events_{name}_add")).status_code == 403


def test_event_change_page_query_count_does_not_grow_with_questions_and_invitations(
    manager_client, django_assert_max_num_queries
):
    event = EventFactory()
    url = reverse("admin:events_event_change", args=[event.pk])

    def add(count: int) -> None:
        for _ in range(count):
            Question.objects.create(event=event, label="Why?", kind="short_text")
            Invitation.objects.create(event=event, code=f"CODE{Invitation.objects.count()}")

    add(1)
    with CaptureQueriesContext(connection) as few:
        assert manager_client.get(url).status_code == 200
    add(30)
    with django_assert_max_num_queries(len(few)):
        response = manager_client.get(url)
    assert response.content.decode().count('name="invitations-') > 30 * 4
