from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from events.models import Event
from tests.factories import (
    EventFactory,
    ProgrammeFactory,
    SessionFactory,
    SpeakerFactory,
)

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
ATOM = "{http://www.w3.org/2005/Atom}"
MEETING_URL = "https://meet.example.org/j/secret-room-4711"


@pytest.fixture(autouse=True)
def _english():
    # The test client leaves the language of the last request active, and reverse() follows it.
    translation.activate("en")


def parse(response) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(response.content)


def unfolded(response) -> str:
    return response.content.decode().replace("\r\n ", "")


def by_uid(calendar: icalendar.Calendar) -> dict:
    return {str(component["UID"]): component for component in calendar.walk("VEVENT")}


def ics_url(event) -> str:
    return reverse("events:ics", kwargs={"slug": event.slug})


def test_event_ics_holds_the_event_and_each_session_in_utc(client):
    event = EventFactory(
        title="Marathon 2030",
        slug="marathon-2030",
        start=datetime(2030, 3, 28, 9, 0, tzinfo=ZURICH),
        end=datetime(2030, 4, 30, 11, 0, tzinfo=ZURICH),  # summer time from 31 March
    )
    first = SessionFactory(
        event=event,
        title="Cleaning validation",
        start=datetime(2030, 3, 28, 9, 0, tzinfo=ZURICH),
        end=datetime(2030, 3, 28, 11, 0, tzinfo=ZURICH),
    )
    first.speakers.add(SpeakerFactory(name="Ada Quality", organisation="NRA"))
    second = SessionFactory(
        event=event,
        title="Data integrity",
        start=datetime(2030, 4, 30, 9, 0, tzinfo=ZURICH),
        end=datetime(2030, 4, 30, 11, 0, tzinfo=ZURICH),
    )

    response = client.get(ics_url(event))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="marathon-2030.ics"'
    calendar = parse(response)
    assert str(calendar["PRODID"]) == "-//WHO LPA//LPA Portal//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Marathon 2030"
    components = by_uid(calendar)
    assert set(components) == {
        f"event-{event.pk}@testserver",
        f"session-{first.pk}@testserver",
        f"session-{second.pk}@testserver",
    }
    # The month of the Marathon is not blocked: the event is an all-day entry shown as free;
    # only the sessions are busy.
    whole = components[f"event-{event.pk}@testserver"]
    assert whole.decoded("DTSTART") == date(2030, 3, 28)
    assert whole.decoded("DTEND") == date(2030, 5, 1)  # exclusive: the last day is 30 April
    assert str(whole["TRANSP"]) == "TRANSPARENT"
    assert all(
        str(component.get("TRANSP", "OPAQUE")) == "OPAQUE"
        for uid, component in components.items()
        if uid.startswith("session-")
    )
    assert str(whole["STATUS"]) == "CONFIRMED"
    assert str(whole["URL"]) == "http://testserver/en/events/marathon-2030/"
    assert "http://testserver/en/events/marathon-2030/" in str(whole["DESCRIPTION"])
    assert str(whole["LOCATION"]) == "Online"
    session = components[f"session-{second.pk}@testserver"]
    assert session.decoded("DTSTART") == datetime(2030, 4, 30, 7, 0, tzinfo=UTC)
    assert session.decoded("DTEND") == datetime(2030, 4, 30, 9, 0, tzinfo=UTC)
    assert "Data integrity" in str(session["SUMMARY"])
    assert "Ada Quality" in str(components[f"session-{first.pk}@testserver"]["DESCRIPTION"])
    text = unfolded(response)
    assert "DTSTART:20300328T080000Z" in text
    assert "DTSTART:20300430T070000Z" in text


def test_an_event_without_sessions_is_one_busy_entry(client):
    event = EventFactory(
        start=datetime(2030, 6, 10, 9, 0, tzinfo=ZURICH),
        end=datetime(2030, 6, 12, 17, 0, tzinfo=ZURICH),
    )

    (only,) = parse(client.get(ics_url(event))).walk("VEVENT")

    assert only.decoded("DTSTART") == datetime(2030, 6, 10, 7, 0, tzinfo=UTC)
    assert only.decoded("DTEND") == datetime(2030, 6, 12, 15, 0, tzinfo=UTC)
    assert str(only.get("TRANSP", "OPAQUE")) == "OPAQUE"


def test_the_confirmation_email_carries_the_sessions_not_a_block_of_weeks():
    from events.emails import email_queue
    from tests.factories import RegistrationFactory

    start = datetime(2030, 9, 10, 13, 0, tzinfo=ZURICH)
    event = EventFactory(start=start, end=start + timedelta(days=28, hours=2))
    for week in range(5):
        SessionFactory(event=event, start=start + timedelta(weeks=week))
    registration = RegistrationFactory(event=event)

    delivery = email_queue(registration=registration, kind="confirmed")

    calendar = icalendar.Calendar.from_ical(delivery.ics)
    busy = [
        component
        for component in calendar.walk("VEVENT")
        if str(component.get("TRANSP", "OPAQUE")) == "OPAQUE"
    ]
    assert len(busy) == 5
    assert all(
        component.decoded("DTEND") - component.decoded("DTSTART") == timedelta(hours=2)
        for component in busy
    )


def test_event_ics_never_gives_the_meeting_link(client):
    event = EventFactory(meeting_url=MEETING_URL, format="hybrid", city="Geneva", country="CH")
    SessionFactory(event=event)
    SessionFactory(event=event, start=event.start + timedelta(days=1))

    response = client.get(ics_url(event))

    assert "secret-room-4711" not in unfolded(response)
    assert "secret-room-4711" not in response.content.decode()


def test_draft_event_ics_is_only_for_staff(client, staff_user):
    draft = EventFactory(status="draft", published_at=None)

    assert client.get(ics_url(draft)).status_code == 404
    client.force_login(staff_user)
    response = client.get(ics_url(draft))
    assert response.status_code == 200
    assert str(parse(response).walk("VEVENT")[0]["STATUS"]) == "TENTATIVE"


@pytest.mark.parametrize(
    ("status", "expected"),
    [("published", "CONFIRMED"), ("cancelled", "CANCELLED"), ("postponed", "TENTATIVE")],
)
def test_event_ics_status_follows_the_event(client, status, expected):
    event = EventFactory(status=status)
    SessionFactory(event=event)

    response = client.get(ics_url(event))

    statuses = {str(component["STATUS"]) for component in parse(response).walk("VEVENT")}
    assert statuses == {expected}


def test_event_ics_location_of_an_in_person_event(client):
    event = EventFactory(format="in_person", venue="CICG", city="Geneva", country="CH")

    response = client.get(ics_url(event))

    assert str(parse(response).walk("VEVENT")[0]["LOCATION"]) == "CICG, Geneva, Switzerland"


def test_a_changed_event_has_a_higher_sequence(client):
    event = EventFactory()
    before = parse(client.get(ics_url(event))).walk("VEVENT")[0]
    # As a save a while later would: auto_now sets updated_at.
    Event.objects.filter(pk=event.pk).update(updated_at=event.updated_at + timedelta(hours=2))

    after = parse(client.get(ics_url(event))).walk("VEVENT")[0]

    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")


def test_ics_lines_are_folded_at_75_octets_and_end_with_crlf(client):
    event = EventFactory(
        title="Formation sur les bonnes pratiques de fabrication — édition spéciale " * 3,
        summary="Qualité, sécurité et efficacité des médicaments produits localement. " * 5,
    )
    SessionFactory(event=event, title="Séance d’ouverture et présentation des intervenants " * 3)

    raw = client.get(ics_url(event)).content

    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # long lines were indeed folded
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    # Folding never splits a UTF-8 character: every line decodes on its own.
    for line in lines:
        line.decode()


def test_upcoming_feed_holds_only_published_upcoming_events(client):
    upcoming = EventFactory()
    cancelled = EventFactory(status="cancelled")
    EventFactory(status="draft", published_at=None)
    EventFactory(start=timezone.now() - timedelta(days=10), end=timezone.now() - timedelta(days=9))
    session = SessionFactory(event=upcoming, start=upcoming.start + timedelta(days=1))

    response = client.get(reverse("events:ics_upcoming"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline")
    assert "public" in response["Cache-Control"]
    assert "max-age=3600" in response["Cache-Control"]
    assert "X-PUBLISHED-TTL:PT1H" in unfolded(response)
    assert set(by_uid(parse(response))) == {
        f"event-{upcoming.pk}@testserver",
        f"session-{session.pk}@testserver",
        f"event-{cancelled.pk}@testserver",
    }


def test_programme_feed_holds_its_upcoming_and_recent_events(client):
    programme = ProgrammeFactory(slug="marathon")
    now = timezone.now()
    upcoming = EventFactory(programme=programme)
    recent = EventFactory(
        programme=programme, start=now - timedelta(days=200), end=now - timedelta(days=199)
    )
    EventFactory(
        programme=programme, start=now - timedelta(days=500), end=now - timedelta(days=499)
    )
    EventFactory(programme=programme, status="draft", published_at=None)
    EventFactory()  # another programme

    response = client.get(reverse("events:ics_programme", kwargs={"slug": "marathon"}))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert set(by_uid(parse(response))) == {
        f"event-{upcoming.pk}@testserver",
        f"event-{recent.pk}@testserver",
    }
    assert client.get(reverse("events:ics_programme", kwargs={"slug": "nope"})).status_code == 404


def test_feeds_in_french_link_to_french_pages(client):
    EventFactory(slug="formation")

    response = client.get("/fr/events/calendar.ics")

    assert str(parse(response).walk("VEVENT")[0]["URL"]) == (
        "http://testserver/fr/events/formation/"
    )


@pytest.fixture
def many_events():
    programme = ProgrammeFactory(slug="big")
    speakers = SpeakerFactory.create_batch(3)
    for _ in range(20):
        event = EventFactory(programme=programme)
        for hour in range(5):
            session = SessionFactory(event=event, start=event.start + timedelta(hours=hour))
            session.speakers.set(speakers)
    return programme


def test_upcoming_feed_queries_do_not_grow_with_the_data(
    client, many_events, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("events:ics_upcoming"))

    assert len(parse(response).walk("VEVENT")) == 20 * 6


def test_programme_feed_queries_do_not_grow_with_the_data(
    client, many_events, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("events:ics_programme", kwargs={"slug": "big"}))

    assert len(parse(response).walk("VEVENT")) == 20 * 6


def test_event_ics_queries_do_not_grow_with_the_sessions(
    client, many_events, django_assert_max_num_queries
):
    event = many_events.events.first()

    with django_assert_max_num_queries(3):
        response = client.get(ics_url(event))

    assert len(parse(response).walk("VEVENT")) == 6


def test_atom_feed_lists_newest_published_events_without_drafts(
    client, django_assert_max_num_queries
):
    now = timezone.now()
    older = EventFactory(title="Older event", published_at=now - timedelta(days=3))
    newer = EventFactory(title="Newer event", published_at=now - timedelta(days=1))
    EventFactory(title="Draft event", status="draft", published_at=None)
    EventFactory.create_batch(5, published_at=now - timedelta(days=10))

    with django_assert_max_num_queries(3):
        response = client.get(reverse("events:atom"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    entries = feed.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles[:2] == ["Newer event", "Older event"]
    assert "Draft event" not in titles
    assert len(entries) == 7
    first = entries[0]
    link = first.find(f"{ATOM}link").get("href")
    assert link.startswith("http")
    assert link.endswith(f"/en/events/{newer.slug}/")
    assert first.findtext(f"{ATOM}summary") == newer.summary
    assert first.find(f"{ATOM}category").get("term") == newer.programme.name
    assert first.findtext(f"{ATOM}updated")
    assert feed.findtext(f"{ATOM}title")
    assert older.slug in entries[1].find(f"{ATOM}link").get("href")


def test_atom_feed_holds_the_30_newest(client):
    now = timezone.now()
    for day in range(35):
        EventFactory(title=f"Event {day}", published_at=now - timedelta(days=day))

    response = client.get(reverse("events:atom"))
    feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)

    titles = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
    assert titles == [f"Event {day}" for day in range(30)]
