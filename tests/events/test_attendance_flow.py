"""Attendance, certificates that anyone can verify, and the feedback survey."""

from datetime import timedelta
from io import BytesIO

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from events.attendance import (
    AttendanceImportError,
    FeedbackError,
    attendance_import_csv,
    attendance_mark,
    attendance_unmark,
    feedback_submit,
    feedback_summary,
    survey_invitations_queue,
)
from events.certificates import certificate_pdf
from events.models import Attendance, Certificate, EmailDelivery
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marathon():
    start = timezone.now() - timedelta(days=20)
    event = EventFactory(
        title="Virtual cGMP Training Marathon (test)",
        start=start,
        end=start + timedelta(days=14),
        sessions_required=2,
    )
    sessions = [
        SessionFactory(
            event=event, start=start + timedelta(days=d), end=start + timedelta(days=d, hours=2)
        )
        for d in range(0, 12, 3)
    ]
    return event, sessions


def test_attended_needs_the_sessions_the_event_requires(marathon):
    event, sessions = marathon
    registration = RegistrationFactory(event=event)
    assert attendance_mark(registrations=[registration], sessions=sessions[:1]) == 1
    registration.refresh_from_db()
    assert not registration.attended and not Certificate.objects.exists()
    attendance_mark(registrations=[registration], sessions=sessions[:2])
    registration.refresh_from_db()
    assert registration.attended
    certificate = Certificate.objects.get()
    assert (certificate.sessions_attended, certificate.sessions_total) == (2, 4)
    # Marking more does not issue a second certificate.
    attendance_mark(registrations=[registration], sessions=sessions)
    assert Certificate.objects.count() == 1


def test_only_confirmed_registrations_are_marked(marathon):
    event, sessions = marathon
    waiting = RegistrationFactory(event=event, status="waitlisted")
    assert attendance_mark(registrations=[waiting], sessions=sessions) == 0


def test_sessions_of_another_event_are_refused(marathon):
    event, _sessions = marathon
    with pytest.raises(ValueError):
        attendance_mark(
            registrations=[RegistrationFactory(event=event)], sessions=[SessionFactory()]
        )


def test_unmarking_revokes_the_certificate(marathon):
    event, sessions = marathon
    registration = RegistrationFactory(event=event)
    attendance_mark(registrations=[registration], sessions=sessions[:2])
    attendance_unmark(registrations=[registration], sessions=sessions[:1])
    registration.refresh_from_db()
    assert not registration.attended
    assert Certificate.objects.get().revoked_at is not None


ZOOM = (
    "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
    "Amina K,amina@example.org,09/10/2024 13:01,09/10/2024 15:00,119\n"
    "Amina K,AMINA@example.org,09/10/2024 15:05,09/10/2024 15:10,5\n"
    "Bo,bo-second@example.org,09/10/2024 13:00,09/10/2024 15:00,120\n"
    "Guest,stranger@example.org,09/10/2024 13:00,09/10/2024 13:30,30\n"
    "Waiting person,waiting@example.org,09/10/2024 13:00,09/10/2024 15:00,120\n"
    "Phone caller,,09/10/2024 13:00,09/10/2024 14:00,60\n"
)


def test_csv_import_of_a_zoom_report(marathon):
    event, sessions = marathon
    amina = RegistrationFactory(event=event, user=UserFactory(email="amina@example.org"))
    bo = RegistrationFactory(event=event, user=UserFactory(email="bo@example.org"))
    EmailAddress.objects.create(user=bo.user, email="bo-second@example.org", verified=True)
    RegistrationFactory(
        event=event, status="waitlisted", user=UserFactory(email="waiting@example.org")
    )
    report = attendance_import_csv(session=sessions[0], file=ZOOM.encode())
    assert report.marked == ["amina@example.org", "bo-second@example.org"]
    assert report.duplicates == ["amina@example.org"]
    assert report.unknown == ["stranger@example.org"]
    assert report.not_registered == ["waiting@example.org"]
    assert report.invalid == ["line 7: no email address"]
    assert set(Attendance.objects.values_list("registration_id", flat=True)) == {amina.pk, bo.pk}
    # Importing the same file again marks nobody twice.
    again = attendance_import_csv(session=sessions[0], file=ZOOM.encode())
    assert again.marked == [] and len(again.already_marked) == 2
    assert "2 already marked" in again.summary


def test_csv_import_of_a_teams_report_in_utf16_with_a_summary_block(marathon):
    event, sessions = marathon
    registration = RegistrationFactory(event=event, user=UserFactory(email="fatou@example.org"))
    teams = (
        "1. Summary\n"
        "Meeting title\tMarathon session 1\n"
        "Attended participants\t2\n"
        "\n"
        "2. Participants\n"
        "Name\tFirst Join\tLast Leave\tEmail\tRole\n"
        "Fatou D\t10/09/2024, 13:00:00\t10/09/2024, 15:00:00\tFatou@Example.org\tAttendee\n"
        "Someone\t10/09/2024, 13:00:00\t10/09/2024, 15:00:00\tnobody@example.org\tAttendee\n"
    )
    report = attendance_import_csv(session=sessions[1], file=teams.encode("utf-16"))
    assert report.marked == ["fatou@example.org"]
    assert report.unknown == ["nobody@example.org"]
    assert Attendance.objects.get().registration_id == registration.pk


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Name,Joined\nAmina,13:00\n", "No column of email addresses"),
        (b"", "The file is empty."),
        (b"%PDF-1.7 binary \x00\x01\x02", "not a CSV text file"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "not a CSV text file"),
    ],
)
def test_unreadable_files_change_nothing(marathon, data, message):
    event, sessions = marathon
    RegistrationFactory(event=event, user=UserFactory(email="amina@example.org"))
    with pytest.raises(AttendanceImportError) as error:
        attendance_import_csv(session=sessions[0], file=data)
    assert message in str(error.value)
    assert not Attendance.objects.exists()


def _attended(event, sessions, **user_fields):
    registration = RegistrationFactory(event=event, user=UserFactory(**user_fields))
    attendance_mark(registrations=[registration], sessions=sessions)
    registration.refresh_from_db()
    return registration


@pytest.mark.parametrize("name", ["Grace Okafor", "Nguyễn Thị Hương", "Зоя Петрова"])
def test_certificate_pdf_states_the_name_event_and_code(marathon, name):
    event, sessions = marathon
    registration = _attended(event, sessions, full_name=name)
    certificate = registration.certificate
    pdf = certificate_pdf(
        certificate=certificate,
        language="en",
        verify_url=f"https://portal.example.org/c/{certificate.code}/",
    )
    assert len(pdf) < 150_000
    text = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert name in text
    assert certificate.code in text
    assert "Certificate of attendance" in text
    assert "4 of 4 sessions attended" in text


def test_certificate_download_is_for_its_owner_only(client, marathon):
    event, sessions = marathon
    registration = _attended(event, sessions)
    url = reverse("events:certificate_download", kwargs={"pk": registration.pk})
    assert client.get(url).status_code == 302  # to the log-in page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(registration.user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert registration.certificate.code in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    # No certificate yet for someone who has not attended.
    other = RegistrationFactory(event=event)
    client.force_login(other.user)
    assert (
        client.get(reverse("events:certificate_download", kwargs={"pk": other.pk})).status_code
        == 404
    )


def test_verification_page_shows_only_what_the_certificate_states(
    client, marathon, django_assert_max_num_queries
):
    event, sessions = marathon
    registration = _attended(
        event,
        sessions,
        full_name="Amina Diallo",
        email="amina.private@example.org",
        organisation="Secret Org",
    )
    code = registration.certificate.code
    with django_assert_max_num_queries(1):
        response = client.get(reverse("events:certificate_verify", kwargs={"code": code}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This certificate is valid" in html and "Amina Diallo" in html and event.title in html
    assert "amina.private@example.org" not in html and "Secret Org" not in html
    assert 'name="robots" content="noindex"' in html
    # The code works in lower case and without dashes, through the look-up form.
    response = client.get(
        reverse("events:certificate_lookup"), {"code": code.replace("-", "").lower()}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/{code}/")
    assert (
        client.get(
            reverse("events:certificate_verify", kwargs={"code": "NOPE-NOPE-NOPE"})
        ).status_code
        == 404
    )
    attendance_unmark(registrations=[registration], sessions=sessions)
    html = client.get(reverse("events:certificate_verify", kwargs={"code": code})).content.decode()
    assert "revoked" in html


def test_feedback_rules(marathon):
    event, sessions = marathon
    attended = _attended(event, sessions)
    feedback_submit(
        registration=attended, rating=5, most_useful_session=sessions[1], comments="Great"
    )
    with pytest.raises(FeedbackError):
        feedback_submit(registration=attended, rating=4)
    with pytest.raises(FeedbackError):
        feedback_submit(registration=RegistrationFactory(event=event), rating=4)  # not attended
    other = _attended(event, sessions)
    with pytest.raises(FeedbackError):
        feedback_submit(registration=other, rating=4, most_useful_session=SessionFactory())
    # Under way: its first session has started (attendance may be recorded), it has not ended.
    upcoming = EventFactory(start=timezone.now() - timedelta(hours=1))
    session = SessionFactory(event=upcoming)
    registration = RegistrationFactory(event=upcoming)
    attendance_mark(registrations=[registration], sessions=[session])
    registration.refresh_from_db()
    with pytest.raises(FeedbackError):  # the event has not ended
        feedback_submit(registration=registration, rating=4)
    summary = feedback_summary(event=event)
    assert summary["count"] == 1 and summary["average"] == 5
    assert summary["distribution"][5] == 1
    assert summary["most_useful"] == [(sessions[1].title, 1)]
    assert summary["comments"] == ["Great"]


def test_feedback_page(client, marathon, django_assert_max_num_queries):
    event, sessions = marathon
    registration = _attended(event, sessions)
    client.force_login(registration.user)
    url = reverse("events:feedback", kwargs={"pk": registration.pk})
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200 and "<fieldset" in response.content.decode()
    response = client.post(
        url, {"rating": "4", "most_useful_session": sessions[0].pk, "topics_wanted": "HVAC"}
    )
    assert response.status_code == 302
    assert registration.feedback.rating == 4
    response = client.get(url, follow=True)
    assert "already answered" in response.content.decode()
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_survey_invitations_are_queued_once(marathon):
    event, sessions = marathon
    first = _attended(event, sessions)
    _attended(event, sessions)
    RegistrationFactory(event=event)  # did not attend
    feedback_submit(registration=first, rating=3)
    assert survey_invitations_queue() == 1
    assert survey_invitations_queue() == 0
    assert EmailDelivery.objects.filter(key__startswith="survey:").count() == 1
