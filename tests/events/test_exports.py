import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.groups import EVENT_MANAGERS
from events.exports import registrations_csv
from events.models import Attendance, Question, Registration
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"
HEADER = [
    "Event",
    "Status",
    "Full name",
    "Email",
    "Organisation",
    "Organisation type",
    "Job title",
    "Country",
    "WHO region",
    "Registered at (UTC)",
    "Attended",
    "Sessions attended",
]


@pytest.fixture
def event_manager():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=EVENT_MANAGERS))
    return user


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def event_with_questions():
    event = EventFactory(title="Week of Quality", slug="week-of-quality")
    why = Question.objects.create(event=event, label="Why do you come?", kind="short_text")
    topics = Question.objects.create(
        event=event,
        label="Topics of interest",
        kind="multiple_choice",
        choices="Sterile products\nAudits\nValidation",
        order=1,
    )
    sessions = SessionFactory.create_batch(2, event=event)
    registration = RegistrationFactory(
        event=event,
        user__email="amara@example.org",
        user__full_name="Amara Diallo",
        user__organisation="Pharma Sénégal",
        user__country="SN",
        job_title="Head of quality",
        created_at=datetime(2025, 3, 1, 8, 30, 15, 123, tzinfo=UTC),
        attended=True,
        answers={
            str(why.pk): {"question": why.label, "answer": "To lead audits"},
            str(topics.pk): {"question": topics.label, "answer": ["Sterile products", "Audits"]},
        },
    )
    for session in sessions:
        Attendance.objects.create(registration=registration, session=session)
    return event


def test_csv_is_utf8_for_excel_with_one_row_per_registration_and_the_answers(
    event_with_questions,
):
    event = event_with_questions
    RegistrationFactory(event=event, status="waitlisted", user__full_name="Nguyễn Văn An")

    filename, content = registrations_csv(queryset=Registration.objects.filter(event=event))

    assert filename.startswith("registrations-week-of-quality-") and filename.endswith(".csv")
    assert content.startswith(BOM)
    header, *body = rows(content)
    assert header == [*HEADER, "Why do you come?", "Topics of interest"]
    assert len(body) == 2
    amara = dict(zip(header, body[0], strict=True))
    assert amara == {
        "Event": "Week of Quality",
        "Status": "Confirmed",
        "Full name": "Amara Diallo",
        "Email": "amara@example.org",
        "Organisation": "Pharma Sénégal",
        "Organisation type": "Manufacturer",
        "Job title": "Head of quality",
        "Country": "Senegal",
        "WHO region": "African Region",
        "Registered at (UTC)": "2025-03-01T08:30:15+00:00",
        "Attended": "Yes",
        "Sessions attended": "2",
        "Why do you come?": "To lead audits",
        "Topics of interest": "Sterile products; Audits",
    }
    assert body[1][1:3] == ["On the waiting list", "Nguyễn Văn An"]
    assert body[1][-2:] == ["", ""]  # no answers given


def test_registrations_of_several_events_have_no_question_columns(event_with_questions):
    RegistrationFactory()
    _filename, content = registrations_csv(queryset=Registration.objects.all())
    header, *body = rows(content)
    assert header == HEADER
    assert len(body) == 2


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.example")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
)
def test_a_formula_looking_cell_is_neutralised(name):
    RegistrationFactory(user__full_name=name, user__organisation="=cmd|' /C calc'!A0")
    _filename, content = registrations_csv(queryset=Registration.objects.all())
    row = dict(zip(*rows(content), strict=True))
    assert row["Full name"] == f"'{name}"
    assert row["Organisation"] == "'=cmd|' /C calc'!A0"


def test_the_export_queries_do_not_grow_with_the_rows(django_assert_max_num_queries):
    event = EventFactory()
    Question.objects.create(event=event, label="Why?", kind="short_text")
    RegistrationFactory(event=event)
    queryset = Registration.objects.filter(event=event)
    with CaptureQueriesContext(connection) as one:
        registrations_csv(queryset=queryset)
    RegistrationFactory.create_batch(99, event=event)
    with django_assert_max_num_queries(len(one)):
        _filename, content = registrations_csv(queryset=queryset)
    assert len(rows(content)) == 101
    assert len(one) == 2  # the rows with their counts of sessions, and the event's questions


def test_export_url_of_an_event_is_an_attachment(
    client, event_manager, event_with_questions, django_assert_max_num_queries
):
    event = event_with_questions
    RegistrationFactory.create_batch(100, event=event)
    client.force_login(event_manager)
    url = reverse("admin:events_event_registrations_csv", args=[event.pk])
    assert url == f"/admin/events/event/{event.pk}/registrations.csv"
    # session, user, permissions (user and group), the event, the rows, the questions, the entry
    # of the export log
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="registrations-week-of-quality-'
    )
    assert response.content.startswith(BOM)
    assert len(rows(response.content)) == 102


def test_export_action_exports_the_selected_registrations(
    client, event_manager, event_with_questions
):
    event = event_with_questions
    chosen = RegistrationFactory(event=event, user__full_name="Chosen One")
    RegistrationFactory(event=event, user__full_name="Not Chosen")
    client.force_login(event_manager)
    response = client.post(
        reverse("admin:events_registration_changelist"),
        {"action": "export_csv", "_selected_action": [chosen.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    header, *body = rows(response.content)
    assert header[-2:] == ["Why do you come?", "Topics of interest"]
    assert [row[2] for row in body] == ["Chosen One"]
