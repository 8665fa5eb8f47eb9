import zoneinfo
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from events.models import Event, Session
from events.services import (
    event_banner_renditions_update,
    event_copy_as_next_edition,
    event_publish,
)
from repository.models import Audience, Language, ProductArea
from tests.factories import (
    EventFactory,
    ProgrammeFactory,
    SessionFactory,
    SpeakerFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Geneva keeps Swiss time: IANA has Europe/Zurich and no Europe/Geneva.
GENEVA = zoneinfo.ZoneInfo("Europe/Zurich")


def geneva(*args) -> datetime:
    return datetime(*args, tzinfo=GENEVA)


# The Saturday 53 weeks after 30 March 2024, after Europe's clocks went forward on 30 March 2025.
NEXT = date(2025, 4, 5)


def png(width=1200, height=400, name="banner.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (width, height), (0, 90, 160)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def marathon():
    """A 2024 Marathon on the Saturday before Europe's clocks went forward (31 March 2024).

    Its copy starts on Saturday 5 April 2025, after summer time began, so 09:00 in Geneva is
    08:00 UTC this year and 07:00 UTC next year.
    """
    return EventFactory(
        programme=ProgrammeFactory(slug="marathon"),
        title="Virtual cGMP Training Marathon 2024",
        slug="virtual-cgmp-training-marathon-2024",
        edition_year=2024,
        start=geneva(2024, 3, 30, 9, 0),
        end=geneva(2024, 3, 30, 17, 0),
        registration_opens=geneva(2024, 2, 29, 12, 0),
        registration_closes=geneva(2024, 3, 29, 23, 59),
        participants_count=1550,
        countries_count=90,
        outcome_note="about 1,550 participants from about 90 countries",
        meeting_url="https://meet.example.org/marathon-2024",
    )


def test_copy_keeps_local_wall_clock_time_across_a_clock_change(marathon):
    session = SessionFactory(
        event=marathon, start=geneva(2024, 3, 30, 9, 0), end=geneva(2024, 3, 30, 10, 30)
    )
    assert session.start.utcoffset() == timedelta(hours=1)

    copy = event_copy_as_next_edition(event=marathon, start_date=NEXT)

    copy.refresh_from_db()
    assert copy.start.astimezone(GENEVA) == geneva(2025, 4, 5, 9, 0)
    assert copy.start == datetime(2025, 4, 5, 7, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert copy.end.astimezone(GENEVA) == geneva(2025, 4, 5, 17, 0)
    assert copy.registration_closes.astimezone(GENEVA) == geneva(2025, 4, 4, 23, 59)
    new_session = copy.sessions.get()
    local_start = new_session.start.astimezone(GENEVA)
    assert (local_start.date().isoformat(), local_start.hour, local_start.minute) == (
        "2025-04-05",
        9,
        0,
    )
    assert local_start.utcoffset() == timedelta(hours=2)
    assert new_session.end.astimezone(GENEVA) == geneva(2025, 4, 5, 10, 30)


def test_registration_and_cancellation_dates_move_by_the_days_the_start_moves(marathon):
    marathon.cancellation_deadline = geneva(2024, 3, 28, 12, 0)
    marathon.save()

    copy = event_copy_as_next_edition(event=marathon, start_date=NEXT)

    # 371 days: 29 February 2024 becomes 6 March 2025, a Thursday like it.
    assert copy.registration_opens.astimezone(GENEVA) == geneva(2025, 3, 6, 12, 0)
    assert copy.cancellation_deadline.astimezone(GENEVA) == geneva(2025, 4, 3, 12, 0)


def test_copy_is_a_draft_of_next_year_without_the_outcome(marathon):
    copy = event_copy_as_next_edition(event=marathon, start_date=NEXT)

    copy.refresh_from_db()
    assert copy.pk != marathon.pk
    assert copy.title == "Virtual cGMP Training Marathon 2025"
    assert copy.slug == "virtual-cgmp-training-marathon-2025"
    assert copy.edition_year == 2025
    assert copy.status == Event.Status.DRAFT
    assert copy.published_at is None
    assert copy.participants_count is None
    assert copy.countries_count is None
    assert copy.outcome_note == ""
    assert copy.meeting_url == ""
    assert copy.programme == marathon.programme
    assert copy.summary == marathon.summary
    marathon.refresh_from_db()
    assert marathon.status == Event.Status.PUBLISHED
    assert marathon.participants_count == 1550


def test_copying_twice_gives_unique_slugs(marathon):
    first = event_copy_as_next_edition(event=marathon, start_date=NEXT)
    second = event_copy_as_next_edition(event=marathon, start_date=NEXT)

    assert first.slug == "virtual-cgmp-training-marathon-2025"
    assert second.slug == "virtual-cgmp-training-marathon-2025-2"
    assert (
        event_copy_as_next_edition(event=marathon, start_date=NEXT).slug
        == "virtual-cgmp-training-marathon-2025-3"
    )


def test_copy_of_a_title_without_the_year_is_suffixed():
    event = EventFactory(
        title="Week of Quality",
        slug="week-of-quality",
        edition_year=2024,
        start=geneva(2024, 6, 10, 9, 0),
        end=geneva(2024, 6, 14, 17, 0),
    )

    copy = event_copy_as_next_edition(event=event, start_date=date(2025, 6, 9))

    assert copy.title == "Week of Quality 2025"
    assert copy.slug == "week-of-quality-2025"


def test_copy_carries_taxonomy_partners_and_the_agenda_but_not_past_material(marathon):
    from events.models import Partner
    from repository.models import Resource

    topic = TopicFactory()
    marathon.topics.add(topic)
    marathon.audiences.add(*Audience.objects.all()[:2])
    marathon.product_areas.add(ProductArea.objects.get(code="vaccines"))
    marathon.languages.add(Language.objects.get(code="fr"))
    marathon.partners.add(Partner.objects.create(name="A funder"))
    report = Resource.objects.create(title="Report", slug="report", kind="report")
    marathon.materials.add(report)
    speakers = SpeakerFactory.create_batch(2)
    first = SessionFactory(
        event=marathon,
        title="Data integrity",
        topic=topic,
        recording_url="https://video.example.org/1",
        description="What inspectors look for.",
    )
    first.speakers.set(speakers)
    first.resources.add(report)
    SessionFactory(
        event=marathon, title="Cleaning validation", start=marathon.start.replace(hour=13)
    )

    copy = event_copy_as_next_edition(event=marathon, start_date=NEXT)

    assert list(copy.topics.all()) == [topic]
    assert set(copy.audiences.all()) == set(marathon.audiences.all())
    assert len(copy.audiences.all()) == 2
    assert list(copy.product_areas.values_list("code", flat=True)) == ["vaccines"]
    assert list(copy.languages.values_list("code", flat=True)) == ["fr"]
    assert list(copy.partners.values_list("name", flat=True)) == ["A funder"]
    assert not copy.materials.exists()
    copied = copy.sessions.order_by("start")
    assert [session.title for session in copied] == ["Data integrity", "Cleaning validation"]
    data_integrity = copied[0]
    assert set(data_integrity.speakers.all()) == set(speakers)
    assert data_integrity.topic == topic
    assert data_integrity.description == "What inspectors look for."
    assert data_integrity.recording_url == ""
    assert not data_integrity.resources.exists()
    # The past edition keeps its own agenda.
    assert marathon.sessions.count() == 2
    assert Session.objects.count() == 4


def test_copy_keeps_the_banner_and_its_renditions(marathon):
    marathon.banner = png()
    marathon.banner_alt = "Participants at a laboratory bench"
    marathon.save()
    event_banner_renditions_update(event=marathon)

    copy = event_copy_as_next_edition(event=marathon, start_date=NEXT)

    copy.refresh_from_db()
    assert copy.banner.name == marathon.banner.name
    assert copy.banner_alt == marathon.banner_alt
    assert copy.banner_renditions == marathon.banner_renditions
    assert (copy.banner_width, copy.banner_height) == (1200, 400)


def test_copy_by_a_user_is_recorded_in_the_admin_history(marathon):
    from django.contrib.admin.models import LogEntry

    user = UserFactory(is_staff=True)

    copy = event_copy_as_next_edition(event=marathon, start_date=NEXT, user=user)

    entry = LogEntry.objects.get(object_id=str(copy.pk))
    assert entry.user == user
    assert entry.is_addition()


def test_publish_sets_published_at_once():
    event = EventFactory(status=Event.Status.DRAFT, published_at=None)

    event_publish(event=event)

    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    first = event.published_at
    assert first is not None

    event.status = Event.Status.DRAFT
    event.save()
    event_publish(event=event)
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    assert event.published_at == first


def test_publish_refuses_an_incomplete_event_and_leaves_it_unchanged():
    event = EventFactory(
        status=Event.Status.DRAFT, published_at=None, format=Event.Format.IN_PERSON, city=""
    )

    with pytest.raises(ValidationError) as error:
        event_publish(event=event)

    assert "city" in error.value.message_dict
    assert event.status == Event.Status.DRAFT
    assert event.published_at is None
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT


def test_banner_renditions_are_made_and_cleared():
    event = EventFactory(banner=png(), banner_alt="A banner")

    event_banner_renditions_update(event=event)

    event.refresh_from_db()
    assert (event.banner_width, event.banner_height) == (1200, 400)
    assert set(event.banner_renditions) == {"480", "960"}
    assert all(default_storage.exists(name) for name in event.banner_renditions.values())

    event.banner = ""
    event.save()
    event_banner_renditions_update(event=event)

    event.refresh_from_db()
    assert event.banner_renditions == {}
    assert event.banner_width is None
    assert event.banner_height is None
