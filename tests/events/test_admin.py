import zoneinfo
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from events.models import Event
from tests.factories import (
    EventFactory,
    ProgrammeFactory,
    SessionFactory,
    SpeakerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")
UTC = zoneinfo.ZoneInfo("UTC")
CHANGELIST = "admin:events_event_changelist"
ADD = "admin:events_event_add"


def png(name="banner.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (1200, 400), (0, 90, 160)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def event_manager(db):
    return staff_in(EVENT_MANAGERS)


@pytest.fixture(params=["superuser", "event manager"])
def admin_user(request, staff_user, event_manager):
    return staff_user if request.param == "superuser" else event_manager


def management_form(prefix="sessions", total=0, initial=0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def event_form_data(programme, **overrides) -> dict:
    data = {
        "programme": programme.pk,
        "title": "Week of Quality 2025",
        "slug": "week-of-quality-2025",
        "edition_year": "2025",
        "summary": "A week on quality management systems.",
        "description": "",
        "status": "draft",
        "time_zone": "Europe/Zurich",
        "start_0": "2025-03-30",
        "start_1": "09:00",
        "end_0": "2025-04-03",
        "end_1": "17:00",
        "format": "online",
        "region": "GLOBAL",
        "country": "",
        "city": "",
        "venue": "",
        "venue_address": "",
        "registration_mode": "open",
        "external_registration_url": "",
        "capacity": "",
        "registration_opens_0": "",
        "registration_opens_1": "",
        "registration_closes_0": "",
        "registration_closes_1": "",
        "cancellation_deadline_0": "",
        "cancellation_deadline_1": "",
        "sessions_required": "1",
        "banner_alt": "",
        "participants_count": "",
        "countries_count": "",
        "outcome_note": "",
        "meeting_url": "",
        **management_form(),
        **management_form("questions"),
        **management_form("invitations"),
    }
    data.update(overrides)
    return data


def test_changelist_filters_and_search(client, admin_user):
    marathon = ProgrammeFactory(name="Virtual cGMP Training Marathon")
    EventFactory(title="Marathon 2024", programme=marathon, edition_year=2024, city="")
    EventFactory(
        title="Regional workshop Nairobi",
        format="in_person",
        city="Nairobi",
        region="AFRO",
        status="draft",
        registration_mode="invitation",
    )
    client.force_login(admin_user)
    url = reverse(CHANGELIST)

    def titles(params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {event.title for event in response.context["cl"].result_list}

    assert titles({}) == {"Marathon 2024", "Regional workshop Nairobi"}
    assert titles({"programme__id__exact": marathon.pk}) == {"Marathon 2024"}
    assert titles({"status__exact": "draft"}) == {"Regional workshop Nairobi"}
    assert titles({"format__exact": "in_person"}) == {"Regional workshop Nairobi"}
    assert titles({"region__exact": "AFRO"}) == {"Regional workshop Nairobi"}
    assert titles({"edition_year": "2024"}) == {"Marathon 2024"}
    assert titles({"registration_mode__exact": "invitation"}) == {"Regional workshop Nairobi"}
    assert titles({"q": "nairobi"}) == {"Regional workshop Nairobi"}


def test_changelist_shows_start_in_the_event_time_zone_and_a_preview_link(client, staff_user):
    event = EventFactory(
        title="Draft workshop",
        status="draft",
        start=datetime(2024, 3, 30, 9, 0, tzinfo=ZURICH),
        end=datetime(2024, 3, 30, 17, 0, tzinfo=ZURICH),
    )
    client.force_login(staff_user)

    html = client.get(reverse(CHANGELIST)).content.decode()

    assert "2024-03-30 09:00 (Europe/Zurich)" in html
    assert f'href="{event.get_absolute_url()}"' in html


def test_content_editor_may_not_open_events(client):
    client.force_login(staff_in(CONTENT_EDITORS))

    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse("admin:repository_resource_changelist")).status_code == 200


def test_copy_as_next_edition_asks_the_start_date_then_creates_a_draft(client, event_manager):
    event = EventFactory(
        title="Virtual cGMP Training Marathon 2024",
        slug="virtual-cgmp-training-marathon-2024",
        edition_year=2024,
        start=datetime(2024, 3, 30, 9, 0, tzinfo=ZURICH),
        end=datetime(2024, 3, 30, 17, 0, tzinfo=ZURICH),
    )
    client.force_login(event_manager)

    asked = client.post(
        reverse(CHANGELIST), {"action": "copy_as_next_edition", "_selected_action": [event.pk]}
    )

    assert asked.status_code == 200
    assert not Event.objects.filter(edition_year=2025).exists()
    # 52 weeks later: a Saturday again, like 30 March 2024.
    assert f'name="start_{event.pk}" value="2025-03-29"' in asked.content.decode()

    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "copy_as_next_edition",
            "_selected_action": [event.pk],
            "copy_confirmed": "1",
            f"start_{event.pk}": "2025-03-29",
        },
    )

    assert response.status_code == 200
    copy = Event.objects.get(edition_year=2025)
    assert copy.status == Event.Status.DRAFT
    assert copy.title == "Virtual cGMP Training Marathon 2025"
    assert copy.start == datetime(2025, 3, 29, 9, 0, tzinfo=ZURICH)
    html = response.content.decode()
    assert reverse("admin:events_event_change", args=[copy.pk]) in html
    assert "364 days later" in html


def test_copy_keeps_a_tuesday_and_thursday_programme_on_tuesdays_and_thursdays(
    client, event_manager
):
    """The 2024 Marathon ran on Tuesdays and Thursdays from 10 September; its copy starting on
    Tuesday 9 September 2025 keeps every session on its weekday at its time."""
    start = datetime(2024, 9, 10, 13, 0, tzinfo=ZURICH)
    event = EventFactory(
        title="Marathon 2024",
        edition_year=2024,
        start=start,
        end=start + timedelta(days=30, hours=2),
        registration_opens=datetime(2024, 7, 1, 9, 0, tzinfo=ZURICH),
        registration_closes=datetime(2024, 9, 9, 17, 0, tzinfo=ZURICH),
    )
    for week in range(5):
        for day in (0, 2):  # Tuesday, Thursday
            session_start = start + timedelta(weeks=week, days=day)
            SessionFactory(event=event, start=session_start, end=session_start + timedelta(hours=2))
    client.force_login(event_manager)

    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "copy_as_next_edition",
            "_selected_action": [event.pk],
            "copy_confirmed": "1",
            f"start_{event.pk}": "2025-09-09",
        },
    )

    assert response.status_code == 200
    copy = Event.objects.get(edition_year=2025)
    local_starts = [s.start.astimezone(ZURICH) for s in copy.sessions.order_by("start")]
    assert len(local_starts) == 10
    assert {moment.strftime("%A") for moment in local_starts} == {"Tuesday", "Thursday"}
    assert {(moment.hour, moment.minute) for moment in local_starts} == {(13, 0)}
    assert local_starts[0] == datetime(2025, 9, 9, 13, 0, tzinfo=ZURICH)
    assert local_starts[-1] == datetime(2025, 10, 9, 13, 0, tzinfo=ZURICH)
    # Registration moves the same way: 364 days earlier than a year later.
    assert copy.registration_opens.astimezone(ZURICH) == datetime(2025, 6, 30, 9, 0, tzinfo=ZURICH)
    assert copy.registration_closes.astimezone(ZURICH) == datetime(2025, 9, 8, 17, 0, tzinfo=ZURICH)
    html = response.content.decode()
    assert "Every session keeps its weekday and time of day." in html
    assert "Tuesday, Thursday" in html


def test_a_start_date_on_another_weekday_is_refused_and_nothing_is_copied(client, event_manager):
    event = EventFactory(
        edition_year=2024,
        start=datetime(2024, 9, 10, 13, 0, tzinfo=ZURICH),  # a Tuesday
        end=datetime(2024, 10, 10, 15, 0, tzinfo=ZURICH),
    )
    client.force_login(event_manager)

    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "copy_as_next_edition",
            "_selected_action": [event.pk],
            "copy_confirmed": "1",
            f"start_{event.pk}": "2025-09-11",  # a Thursday
        },
    )

    assert response.status_code == 200
    assert Event.objects.count() == 1
    errors = response.context["form"].errors[f"start_{event.pk}"]
    assert errors == [
        "This edition started on a Tuesday; choose a Tuesday so that every session keeps its "
        "weekday, e.g. 9 September 2025 or 16 September 2025."
    ]


def test_publish_action_publishes_and_reports_refusals(client, event_manager):
    ready = EventFactory(status="draft", published_at=None)
    incomplete = EventFactory(status="draft", published_at=None, format="in_person", city="")
    client.force_login(event_manager)

    response = client.post(
        reverse(CHANGELIST),
        {"action": "publish", "_selected_action": [ready.pk, incomplete.pk]},
        follow=True,
    )

    ready.refresh_from_db()
    incomplete.refresh_from_db()
    assert ready.status == Event.Status.PUBLISHED
    assert ready.published_at is not None
    assert incomplete.status == Event.Status.DRAFT
    assert "An in-person or hybrid event needs a city." in response.content.decode()


def test_add_form_with_a_session_reads_times_in_the_event_time_zone(client, event_manager):
    programme = ProgrammeFactory()
    speaker = SpeakerFactory()
    client.force_login(event_manager)
    data = event_form_data(
        programme,
        **management_form(total=1),
        **{
            "sessions-0-title": "Opening",
            "sessions-0-start_0": "2025-03-30",
            "sessions-0-start_1": "09:00",
            "sessions-0-end_0": "2025-03-30",
            "sessions-0-end_1": "10:30",
            "sessions-0-topic": "",
            "sessions-0-speakers": [speaker.pk],
            "sessions-0-recording_url": "",
            "sessions-0-id": "",
            "sessions-0-event": "",
        },
    )

    response = client.post(reverse(ADD), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(slug="week-of-quality-2025")
    # Summer time began at 02:00 that morning: 09:00 in Zurich is 07:00 UTC.
    assert event.start == datetime(2025, 3, 30, 7, 0, tzinfo=UTC)
    assert event.end == datetime(2025, 4, 3, 15, 0, tzinfo=UTC)
    session = event.sessions.get()
    assert session.title == "Opening"
    assert session.start == datetime(2025, 3, 30, 7, 0, tzinfo=UTC)
    assert list(session.speakers.all()) == [speaker]
    assert event.published_at is None


def test_change_form_shows_times_in_the_event_time_zone(client, event_manager):
    event = EventFactory(
        time_zone="Asia/Kathmandu",
        start=datetime(2025, 1, 10, 3, 15, tzinfo=UTC),
        end=datetime(2025, 1, 10, 11, 15, tzinfo=UTC),
    )
    SessionFactory(event=event)
    client.force_login(event_manager)

    response = client.get(reverse("admin:events_event_change", args=[event.pk]))

    html = response.content.decode()
    assert 'name="start_1" value="09:00:00"' in html  # 03:15 UTC is 09:00 in Kathmandu
    assert 'name="sessions-0-start_1" value="09:00:00"' in html
    assert 'name="end_1" value="17:00:00"' in html


def test_moving_an_event_to_another_time_zone_keeps_the_agenda_wall_clock_times(
    client, event_manager
):
    event = EventFactory(
        slug="week-of-quality-2025",
        time_zone="Europe/Zurich",
        start=datetime(2025, 3, 30, 9, 0, tzinfo=ZURICH),
        end=datetime(2025, 4, 3, 17, 0, tzinfo=ZURICH),
    )
    session = SessionFactory(
        event=event,
        title="Opening",
        start=datetime(2025, 3, 30, 9, 0, tzinfo=ZURICH),
        end=datetime(2025, 3, 30, 10, 30, tzinfo=ZURICH),
    )
    client.force_login(event_manager)
    data = event_form_data(
        event.programme,
        time_zone="Asia/Kathmandu",
        **management_form(total=1, initial=1),
        **{
            "sessions-0-id": session.pk,
            "sessions-0-event": event.pk,
            "sessions-0-title": "Opening",
            "sessions-0-start_0": "2025-03-30",
            "sessions-0-start_1": "09:00:00",
            "sessions-0-end_0": "2025-03-30",
            "sessions-0-end_1": "10:30:00",
        },
    )

    response = client.post(reverse("admin:events_event_change", args=[event.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    kathmandu = zoneinfo.ZoneInfo("Asia/Kathmandu")
    event.refresh_from_db()
    session.refresh_from_db()
    assert event.start == datetime(2025, 3, 30, 9, 0, tzinfo=kathmandu)
    assert session.start == datetime(2025, 3, 30, 9, 0, tzinfo=kathmandu)
    assert session.end == datetime(2025, 3, 30, 10, 30, tzinfo=kathmandu)


def test_saving_as_published_sets_published_at(client, event_manager):
    client.force_login(event_manager)

    response = client.post(reverse(ADD), event_form_data(ProgrammeFactory(), status="published"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Event.objects.get().published_at is not None


def test_a_time_that_the_clock_change_skips_is_refused(client, event_manager):
    client.force_login(event_manager)
    data = event_form_data(ProgrammeFactory(), start_0="2025-03-30", start_1="02:30")

    response = client.post(reverse(ADD), data)

    assert response.status_code == 200
    assert "start" in response.context["adminform"].form.errors
    assert not Event.objects.exists()


def test_banner_without_alt_text_is_refused_and_with_it_gets_renditions(client, event_manager):
    client.force_login(event_manager)
    programme = ProgrammeFactory()

    response = client.post(reverse(ADD), event_form_data(programme, banner=png()))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["banner_alt"] == [
        "Describe the banner for people who cannot see it."
    ]
    assert not Event.objects.exists()

    response = client.post(
        reverse(ADD),
        event_form_data(programme, banner=png(), banner_alt="Trainees in a clean room"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get()
    assert (event.banner_width, event.banner_height) == (1200, 400)
    assert set(event.banner_renditions) == {"480", "960"}


def test_event_changelist_query_count_does_not_grow(
    client, staff_user, django_assert_max_num_queries
):
    EventFactory.create_batch(3)
    client.force_login(staff_user)
    url = reverse(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    EventFactory.create_batch(47)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50


def test_cancellation_deadline_is_entered_in_local_time(client, event_manager):
    programme = ProgrammeFactory()
    client.force_login(event_manager)
    data = event_form_data(
        programme,
        time_zone="Asia/Kathmandu",
        cancellation_deadline_0="2031-05-20",
        cancellation_deadline_1="09:00",
        sessions_required="3",
    )
    response = client.post(reverse(ADD), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get()
    # 09:00 in Kathmandu (UTC+05:45) is 03:15 UTC.
    assert (
        event.cancellation_deadline.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == "2031-05-20 03:15"
    )
    assert event.sessions_required == 3
