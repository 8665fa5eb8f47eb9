"""Attendance: marking, the threshold of sessions, and importing a meeting's report."""

import random
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.attendance import (
    AttendanceImportError,
    attendance_import_csv,
    attendance_mark,
    attendance_unmark,
)
from events.models import Attendance, Certificate
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    start = timezone.now() - timedelta(days=10)
    return EventFactory(start=start, end=start + timedelta(days=7), sessions_required=2)


@pytest.fixture
def sessions(event):
    return [
        SessionFactory(event=event, start=event.start + timedelta(days=day))
        for day in range(0, 6, 2)
    ]


def _refreshed(registration):
    registration.refresh_from_db()
    return registration


# --- marking ------------------------------------------------------------------------------------


def test_one_session_of_two_required_is_not_attendance(event, sessions):
    registration = RegistrationFactory(event=event)

    assert attendance_mark(registrations=[registration], sessions=sessions[:1]) == 1

    assert not _refreshed(registration).attended
    assert not Certificate.objects.exists()


def test_two_sessions_make_attendance_and_issue_one_certificate(event, sessions):
    registration = RegistrationFactory(event=event)
    attendance_mark(registrations=[registration], sessions=sessions[:1])

    assert attendance_mark(registrations=[registration], sessions=sessions[:2]) == 1

    assert _refreshed(registration).attended
    certificate = Certificate.objects.get(registration=registration)
    assert (certificate.sessions_attended, certificate.sessions_total) == (2, 3)
    assert certificate.revoked_at is None

    # Marking again adds nothing and keeps the same certificate; a third session is counted.
    assert attendance_mark(registrations=[registration], sessions=sessions[:2]) == 0
    assert attendance_mark(registrations=[registration], sessions=sessions) == 1
    assert Certificate.objects.count() == 1
    again = Certificate.objects.get()
    assert (again.code, again.sessions_attended) == (certificate.code, 3)


def test_only_confirmed_registrations_are_marked(event, sessions):
    confirmed = RegistrationFactory(event=event)
    others = [
        RegistrationFactory(event=event, status=status)
        for status in ("waitlisted", "pending", "cancelled", "rejected")
    ]

    new = attendance_mark(
        registrations=[confirmed, *others], sessions=sessions, source=Attendance.Source.CSV
    )

    assert new == 3
    assert set(Attendance.objects.values_list("registration_id", flat=True)) == {confirmed.pk}
    assert set(Attendance.objects.values_list("source", flat=True)) == {"csv"}
    assert not any(_refreshed(other).attended for other in others)


def test_a_session_of_another_event_is_refused_and_nothing_changes(event, sessions):
    registration = RegistrationFactory(event=event)
    elsewhere = SessionFactory()

    with pytest.raises(ValueError, match="same event"):
        attendance_mark(registrations=[registration], sessions=[sessions[0], elsewhere])
    with pytest.raises(ValueError, match="same event"):
        attendance_mark(registrations=[RegistrationFactory()], sessions=sessions)

    assert not Attendance.objects.exists()


def test_a_queryset_can_be_marked_and_the_change_is_logged(event, sessions, staff_user):
    RegistrationFactory.create_batch(3, event=event)

    new = attendance_mark(
        registrations=event.registrations.all(), sessions=sessions[:2], by=staff_user
    )

    assert new == 6
    assert event.registrations.filter(attended=True).count() == 3
    entries = LogEntry.objects.filter(user=staff_user)
    assert entries.count() == 3
    assert sessions[0].title in entries.first().change_message


def test_marking_many_takes_as_many_queries_as_marking_a_few(event, sessions):
    def queries_to_mark(count: int) -> int:
        registrations = RegistrationFactory.create_batch(count, event=event)
        with CaptureQueriesContext(connection) as context:
            attendance_mark(registrations=registrations, sessions=sessions)
        return len(context.captured_queries)

    few = queries_to_mark(2)
    assert queries_to_mark(40) == few
    assert Certificate.objects.count() == 42


def test_unmarking_revokes_the_certificate_and_marking_again_restores_it(event, sessions):
    registration = RegistrationFactory(event=event)
    attendance_mark(registrations=[registration], sessions=sessions)
    code = Certificate.objects.get().code

    # Still two sessions of the two required: attended, with the count corrected.
    assert attendance_unmark(registrations=[registration], sessions=sessions[2:]) == 1
    certificate = Certificate.objects.get()
    assert _refreshed(registration).attended
    assert (certificate.revoked_at, certificate.sessions_attended) == (None, 2)

    attendance_unmark(registrations=[registration], sessions=sessions[1:2])
    assert not _refreshed(registration).attended
    certificate = Certificate.objects.get()  # kept, so that its code verifies as revoked
    assert certificate.revoked_at is not None

    attendance_mark(registrations=[registration], sessions=sessions)
    certificate = Certificate.objects.get()
    assert (certificate.code, certificate.revoked_at) == (code, None)


# --- importing the meeting software's report ----------------------------------------------------


@pytest.fixture
def people(event):
    """Registrants and others, as the reports below name them."""
    amara = RegistrationFactory(event=event, user=UserFactory(email="amara.diallo@example.org"))
    bo = RegistrationFactory(event=event, user=UserFactory(email="bo.chen@example.org"))
    # Bo joined the meeting with another address of their account, verified.
    EmailAddress.objects.create(user=bo.user, email="bo@lab.example.net", verified=True)
    unverified = RegistrationFactory(event=event, user=UserFactory(email="carla@example.org"))
    EmailAddress.objects.create(user=unverified.user, email="carla@gmail.example", verified=False)
    waiting = RegistrationFactory(
        event=event, status="waitlisted", user=UserFactory(email="wait.list@example.org")
    )
    UserFactory(email="other.event@example.org")  # an account, not registered for this event
    return {"amara": amara, "bo": bo, "carla": unverified, "waiting": waiting}


ZOOM_REPORT = (
    "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\r\n"
    "Amara Diallo,Amara.Diallo@Example.org,09/10/2024 13:58:12,09/10/2024 15:01:40,64\r\n"
    "Bo Chen (Lab),bo@lab.example.net,09/10/2024 14:00:03,09/10/2024 14:40:10,41\r\n"
    "Unknown Guest,stranger@example.com,09/10/2024 14:02:00,09/10/2024 14:30:00,28\r\n"
    "Dial-in user,,09/10/2024 14:05:00,09/10/2024 15:00:00,55\r\n"
    "Waiting,wait.list@example.org,09/10/2024 14:00:00,09/10/2024 15:00:00,60\r\n"
    '"Diallo, Amara",amara.diallo@example.org,09/10/2024 15:03:00,09/10/2024 15:10:00,7\r\n'
    "Carla,carla@gmail.example,09/10/2024 14:00:00,09/10/2024 15:00:00,60\r\n"
    "Other,other.event@example.org,09/10/2024 14:00:00,09/10/2024 15:00:00,60\r\n"
    "Typo,not-an-address,09/10/2024 14:00:00,09/10/2024 15:00:00,60\r\n"
)


def test_a_zoom_report_marks_the_registrants_and_reports_everyone_else(
    event, sessions, people, staff_user
):
    upload = SimpleUploadedFile("participants_8123.csv", ZOOM_REPORT.encode(), "text/csv")

    report = attendance_import_csv(session=sessions[0], file=upload, by=staff_user)

    assert report.marked == ["amara.diallo@example.org", "bo@lab.example.net"]
    assert report.already_marked == []
    assert report.duplicates == ["amara.diallo@example.org"]
    # An unverified other address does not prove who joined.
    assert report.unknown == ["stranger@example.com", "carla@gmail.example"]
    assert report.not_registered == ["wait.list@example.org", "other.event@example.org"]
    assert report.invalid == [
        "line 5: no email address",
        "line 10: “not-an-address” is not an email address",
    ]
    assert set(
        Attendance.objects.filter(session=sessions[0], source="csv").values_list(
            "registration_id", flat=True
        )
    ) == {people["amara"].pk, people["bo"].pk}
    assert report.summary.startswith("2 marked present, 0 already marked, 2 without an account")

    again = attendance_import_csv(session=sessions[0], file=ZOOM_REPORT.encode())
    assert again.marked == []
    assert again.already_marked == ["amara.diallo@example.org", "bo@lab.example.net"]
    assert Attendance.objects.count() == 2


TEAMS_REPORT = (
    "1. Summary\n"
    "Meeting title\tGMP for sterile products – session 2\n"
    "Attended participants\t3\n"
    "Start time\t9/12/24, 1:58:01 PM\n"
    "End time\t9/12/24, 3:04:19 PM\n"
    "Meeting duration\t1h 6m 18s\n"
    "\n"
    "2. Participants\n"
    "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n"
    "Amara Diallo\t9/12/24, 1:58:05 PM\t9/12/24, 3:04:10 PM\t1h 6m\tAMARA.DIALLO@EXAMPLE.ORG"
    "\tamara.diallo@example.org\tAttendee\n"
    "Nguyễn Thị Hương (External)\t9/12/24, 2:00:00 PM\t9/12/24, 3:00:00 PM\t1h\t"
    "huong@example.vn\t\tAttendee\n"
    "Meeting Organizer\t9/12/24, 1:58:01 PM\t9/12/24, 3:04:19 PM\t1h 6m\t\t\tOrganizer\n"
    "\n"
    "3. In-Meeting Activities\n"
    "Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n"
    "Amara Diallo\t9/12/24, 1:58:05 PM\t9/12/24, 2:30:00 PM\t32m\tamara.diallo@example.org"
    "\tAttendee\n"
    "Amara Diallo\t9/12/24, 2:31:00 PM\t9/12/24, 3:04:10 PM\t33m\tamara.diallo@example.org"
    "\tAttendee\n"
)


def test_a_teams_report_in_utf16_with_a_summary_block_above_the_table(event, sessions, people):
    report = attendance_import_csv(session=sessions[1], file=TEAMS_REPORT.encode("utf-16"))

    assert report.marked == ["amara.diallo@example.org"]
    assert report.unknown == ["huong@example.vn"]
    assert report.duplicates == ["amara.diallo@example.org"]  # the activity section repeats her
    assert report.invalid == ["line 12: no email address"]  # the organiser
    assert list(Attendance.objects.values_list("registration_id", "session_id")) == [
        (people["amara"].pk, sessions[1].pk)
    ]


def test_a_french_semicolon_report_in_a_windows_code_page(event, sessions, people):
    report_text = "Nom;Adresse e-mail;Durée\nAmara Diallo;amara.diallo@example.org;55 min\n"

    report = attendance_import_csv(session=sessions[0], file=report_text.encode("cp1252"))

    assert report.marked == ["amara.diallo@example.org"]


def test_a_file_of_addresses_only(event, sessions, people):
    RegistrationFactory(event=event, user=UserFactory(email="sean.o'brien@example.ie"))
    report = attendance_import_csv(
        session=sessions[0],
        file=b"\xef\xbb\xbfEmail\nbo.chen@example.org\n\nSean.O'Brien@example.ie\n",
    )
    assert report.marked == ["bo.chen@example.org", "sean.o'brien@example.ie"]
    assert report.invalid == []


def test_an_import_takes_as_many_queries_for_many_people_as_for_a_few(event, sessions):
    def queries_to_import(count: int) -> int:
        lines = ["Name,Email"]
        for _index in range(count):
            registration = RegistrationFactory(event=event)
            lines.append(f"{registration.full_name.replace(',', ' ')},{registration.user.email}")
        lines += [f"Guest,guest{index}@example.com" for index in range(count)]
        with CaptureQueriesContext(connection) as context:
            report = attendance_import_csv(session=sessions[0], file="\n".join(lines).encode())
        assert len(report.marked) == count
        return len(context.captured_queries)

    assert queries_to_import(30) == queries_to_import(3)


def _too_many_rows() -> bytes:
    return ("Email\n" + "someone@example.org\n" * 50_001).encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Name,Joined,Left\nAmara,13:00,15:00\n", "No column of email addresses"),
        (b"", "The file is empty."),
        (b"  \r\n\r\n", "The file is empty."),
        (random.Random(7).randbytes(4096), "not a CSV text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not a CSV text file"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "not a CSV text file"),  # an .xlsx
        (b"Email\n" + b"a" * (5 * 1024 * 1024), "larger than 5 MB"),
        (_too_many_rows(), "more than 50,000 rows"),
        (b"\n" * 30 + b"Email\nbo.chen@example.org\n", "No column of email addresses"),
    ],
    ids=[
        "no email column",
        "empty",
        "blank",
        "binary garbage",
        "png",
        "xlsx",
        "too large",
        "too many rows",
        "header too far down",
    ],
)
def test_a_file_that_cannot_be_imported_changes_nothing(event, sessions, people, content, message):
    with pytest.raises(AttendanceImportError) as error:
        attendance_import_csv(session=sessions[0], file=content)

    assert message in str(error.value.message)
    assert not Attendance.objects.exists()
    assert not Certificate.objects.exists()
