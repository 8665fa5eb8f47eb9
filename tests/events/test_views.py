"""The public event pages: visibility, filters with counts, time zones, query counts."""

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Partner
from repository.models import Audience, Language, ProductArea
from tests.factories import (
    EventFactory,
    ProgrammeFactory,
    ResourceFactory,
    SessionFactory,
    SpeakerFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/en/events/"


def _titles(response) -> list[str]:
    """The titles of the event cards on a list page, in order (read from the HTML: the list
    may come from the kept parts of pages, without a template context)."""
    cards = re.findall(
        r'<h3 class="card__title"><a href="[^"]*">(.*?)</a></h3>', response.content.decode()
    )
    return [html.unescape(title) for title in cards]


def _facet(response, name):
    return {
        option.value: option.count
        for facet in response.context["result"].facets
        if facet.name == name
        for option in facet.options
    }


# --- visibility ---------------------------------------------------------------------------------


def test_drafts_are_invisible_to_the_public_and_previewed_by_staff(client):
    draft = EventFactory(status="draft", title="Secret draft")
    published = EventFactory(title="Public event")
    assert _titles(client.get(LIST)) == ["Public event"]
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(published.get_absolute_url()).status_code == 200

    client.force_login(UserFactory(is_staff=True))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Preview of a draft" in response.content.decode()
    assert "Secret draft" not in _titles(client.get(LIST))  # the list stays public


def test_list_shows_upcoming_first_and_the_archive_separately(client):
    now = timezone.now()
    EventFactory(title="Later", start=now + timedelta(days=60))
    EventFactory(title="Sooner", start=now + timedelta(days=5))
    EventFactory(title="Long ago", start=now - timedelta(days=400))
    EventFactory(title="Last month", start=now - timedelta(days=30))
    assert _titles(client.get(LIST)) == ["Sooner", "Later"]
    assert _titles(client.get(LIST, {"when": "past"})) == ["Last month", "Long ago"]


def test_cancelled_events_stay_listed_with_their_state(client):
    event = EventFactory(title="Called off", status="cancelled")
    html = client.get(LIST).content.decode()
    assert "Called off" in html and "Cancelled" in html
    page = client.get(event.get_absolute_url()).content.decode()
    assert "This event has been cancelled." in page


# --- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"programme": "marathon"}, ["Marathon on data integrity"]),
        ({"format": "in_person"}, ["Workshop in Nairobi"]),
        ({"region": "EMRO"}, ["Hybrid QMS training in Cairo"]),
        ({"region": "GLOBAL"}, ["Marathon on data integrity"]),
        ({"topic": "data-integrity"}, ["Marathon on data integrity"]),
        # A broad topic finds events tagged with its narrower topics too.
        (
            {"topic": "quality-systems"},
            ["Marathon on data integrity", "Hybrid QMS training in Cairo"],
        ),
        ({"audience": "regulator"}, ["Workshop in Nairobi", "Hybrid QMS training in Cairo"]),
        ({"product_area": "vaccines"}, ["Marathon on data integrity"]),
        ({"language": "fr"}, ["Marathon on data integrity"]),
        ({"language": "ar"}, ["Hybrid QMS training in Cairo"]),
        ({"open": "true"}, ["Marathon on data integrity", "Hybrid QMS training in Cairo"]),
        ({"q": "nairobi"}, ["Workshop in Nairobi"]),
        ({"q": "workshops"}, ["Workshop in Nairobi", "Hybrid QMS training in Cairo"]),
        # combinations
        ({"programme": "workshops", "audience": "manufacturer"}, ["Hybrid QMS training in Cairo"]),
        ({"audience": "regulator", "open": "true"}, ["Hybrid QMS training in Cairo"]),
        (
            {"audience": "manufacturer", "topic": "quality-systems", "format": "online"},
            ["Marathon on data integrity"],
        ),
        ({"region": "AFRO", "language": "fr"}, []),
    ],
)
def test_each_filter_and_combinations(client, catalogue, params, expected):
    assert _titles(client.get(LIST, params)) == expected


def test_year_filter(client, catalogue):
    year = timezone.now().year + 2
    assert _titles(client.get(LIST, {"year": year})) == ["Hybrid QMS training in Cairo"]


def test_each_facet_counts_what_its_options_would_give(client, catalogue):
    response = client.get(LIST, {"programme": "workshops"})
    # The programme facet ignores its own selection: both programmes keep their counts.
    assert _facet(response, "programme") == {"marathon": 1, "workshops": 2}
    # Other facets count within the selected programme.
    assert _facet(response, "format")["in_person"] == 1
    assert _facet(response, "format")["online"] == 0
    assert _facet(response, "audience")["regulator"] == 2
    assert _facet(response, "audience")["manufacturer"] == 1
    assert _facet(response, "topic")["quality-systems"] == 1
    html = response.content.decode()
    assert re.search(r'value="workshops" checked>\s*<label[^>]*>Workshops <span[^>]*>\(2\)', html)


def test_topic_facet_counts_an_event_once_under_its_broad_topic(client, catalogue):
    a, _b, _c = catalogue
    a.topics.add(a.topics.get().parent)  # tagged with both the broad and the narrow topic
    counts = _facet(client.get(LIST), "topic")
    assert counts["quality-systems"] == 2
    assert counts["data-integrity"] == 1


def test_bad_filter_values_give_an_empty_list_not_an_error(client, catalogue):
    for params in ({"year": "abc"}, {"programme": "no-such"}, {"region": "MARS"}, {"page": "999"}):
        response = client.get(LIST, params)
        assert response.status_code == 200


def test_filters_work_without_javascript_as_a_plain_get_form(client, catalogue):
    response = client.get(LIST)
    html = response.content.decode()
    assert '<form method="get"' in html
    # Folded in a <details> panel, which opens without a script; each facet a group of radio
    # buttons, each with its label.
    assert '<details class="filters__panel"' in html
    for facet in response.context["result"].facets:
        if not facet.visible_options:
            continue
        assert f'<label for="filter-{facet.name}-any">Any</label>' in html
        for number, option in enumerate(facet.visible_options, start=1):
            assert f'name="{facet.name}" value="{option.value}"' in html
            assert f'<label for="filter-{facet.name}-{number}">{option.label} ' in html
    names = {facet.name for facet in response.context["result"].facets if facet.visible_options}
    assert {"programme", "format", "topic", "audience", "year"} <= names


def test_options_that_give_nothing_are_not_offered(client, catalogue):
    EventFactory(title="Archived", start=timezone.now() - timedelta(days=900))
    response = client.get(LIST)
    years = {option.value for option in _facet_options(response, "year")}
    # The archive's year gives no upcoming event: not offered among the upcoming ones.
    assert str((timezone.now() - timedelta(days=900)).year) not in years
    html = response.content.decode()
    for facet in response.context["result"].facets:
        for option in facet.options:
            if option.count == 0:
                assert f'name="{facet.name}" value="{option.value}"' not in html
    # A chosen option stays, even when it gives nothing with the other filters.
    past_year = str((timezone.now() - timedelta(days=900)).year)
    html = client.get(LIST, {"year": past_year}).content.decode()
    assert f'name="year" value="{past_year}" checked' in html


def test_the_archive_link_keeps_the_search_and_the_filters(client, catalogue):
    params = {"q": "nothing-matches", "region": "AFRO", "open": "true"}
    page = client.get(LIST, params).content.decode()
    link = re.search(r'<a href="([^"]+)">Look in the archive of past events</a>', page).group(1)
    link = html.unescape(link)
    assert "when=past" in link and "q=nothing-matches" in link and "region=AFRO" in link
    assert "open=" not in link


def _facet_options(response, name):
    return next(f for f in response.context["result"].facets if f.name == name).visible_options


# --- time zones ---------------------------------------------------------------------------------


def test_agenda_is_grouped_by_day_in_the_event_time_zone_across_the_date_line(client):
    auckland = ZoneInfo("Pacific/Auckland")
    start = datetime(2030, 3, 4, 9, 0, tzinfo=auckland)  # 3 March 20:00 UTC
    event = EventFactory(time_zone="Pacific/Auckland", start=start, end=start + timedelta(days=1))
    SessionFactory(
        event=event, title="Morning in Auckland", start=start, end=start + timedelta(hours=2)
    )
    SessionFactory(
        event=event,
        title="Next day",
        start=start + timedelta(days=1),
        end=start + timedelta(days=1, hours=2),
    )
    visitor = UserFactory(time_zone="Pacific/Honolulu")
    client.force_login(visitor)
    response = client.get(event.get_absolute_url())
    agenda = response.context["agenda"]
    assert [day.isoformat() for day, _items in agenda] == ["2030-03-04", "2030-03-05"]
    first = agenda[0][1][0]
    assert first.start.strftime("%Y-%m-%d %H:%M") == "2030-03-04 09:00"
    # Honolulu is a day behind: the same session is on 3 March, 10:00 there.
    assert first.visitor_start.strftime("%Y-%m-%d %H:%M") == "2030-03-03 10:00"
    html = response.content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "09:00 – 11:00 NZDT · your time Sun 3 Mar, 10:00–12:00 HST" in text
    # The zone as people know it, not its database name.
    assert "Times are in Auckland time (NZDT, UTC+13)." in text


def test_agenda_keeps_local_wall_clock_time_across_a_dst_change(client):
    geneva = ZoneInfo("Europe/Zurich")
    # Summer time starts in Europe on 31 March 2030.
    before = datetime(2030, 3, 29, 13, 0, tzinfo=geneva)
    after = datetime(2030, 4, 2, 13, 0, tzinfo=geneva)
    event = EventFactory(time_zone="Europe/Zurich", start=before, end=after + timedelta(hours=2))
    SessionFactory(event=event, title="Before", start=before, end=before + timedelta(hours=2))
    SessionFactory(event=event, title="After", start=after, end=after + timedelta(hours=2))
    response = client.get(event.get_absolute_url())
    html = response.content.decode()
    assert before.astimezone(UTC).hour == 12 and after.astimezone(UTC).hour == 11
    assert re.search(
        r">13:00</time>–<time[^>]*>15:00</time>\s*<span class=\"meta\">CET</span>", html
    )
    assert re.search(
        r">13:00</time>–<time[^>]*>15:00</time>\s*<span class=\"meta\">CEST</span>", html
    )
    # Anonymous visitors get the browser-time slots, filled by a small deferred script.
    assert html.count("data-local-start=") == 2
    assert "js/local-times.js" in html


def test_list_dates_are_those_of_the_event_time_zone(client):
    # 23:30 UTC on 31 Dec is already 1 January in Kathmandu.
    start = datetime(2030, 12, 31, 23, 30, tzinfo=UTC)
    EventFactory(
        title="New year", time_zone="Asia/Kathmandu", start=start, end=start + timedelta(hours=3)
    )
    html = client.get(LIST).content.decode()
    assert "1 January 2031" in html


# --- registration box ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "cancelled"}, "This event has been cancelled."),
        ({"status": "postponed"}, "postponed"),
        ({"registration_mode": "invitation"}, "by invitation only"),
        ({"registration_mode": "closed"}, "Registration is not open"),
        ({"registration_opens_in_days": 3}, "Registration opens on"),
        ({"registration_closed_days_ago": 1}, "Registration is closed."),
        (
            {"registration_mode": "external", "external_registration_url": "https://example.org/r"},
            "organiser&#x27;s website",
        ),
        ({}, "Registration is open."),
        ({"registration_mode": "approval"}, "confirmed by the organisers"),
    ],
)
def test_registration_box_states(client, fields, message):
    now = timezone.now()
    fields = dict(fields)
    if days := fields.pop("registration_opens_in_days", None):
        fields["registration_opens"] = now + timedelta(days=days)
    if days := fields.pop("registration_closed_days_ago", None):
        fields["registration_closes"] = now - timedelta(days=days)
    event = EventFactory(**fields)
    html = client.get(event.get_absolute_url()).content.decode()
    assert message in html


def test_registration_box_of_a_past_event(client):
    event = EventFactory(start=timezone.now() - timedelta(days=10))
    assert "This event has ended." in client.get(event.get_absolute_url()).content.decode()


def test_meeting_link_is_never_on_the_public_page(client):
    event = EventFactory(meeting_url="https://meet.example.org/secret-room")
    assert "secret-room" not in client.get(event.get_absolute_url()).content.decode()


# --- programme page -----------------------------------------------------------------------------


def test_programme_page_lists_editions_by_year_with_figures(client):
    programme = ProgrammeFactory(name="Virtual cGMP Training Marathon", slug="marathon")
    past = timezone.now() - timedelta(days=800)
    EventFactory(
        programme=programme,
        title="Marathon 2023",
        edition_year=2023,
        start=past,
        participants_count=1200,
        countries_count=85,
    )
    EventFactory(
        programme=programme,
        title="Marathon 2024",
        edition_year=2024,
        start=past + timedelta(days=365),
        participants_count=1550,
        countries_count=90,
    )
    EventFactory(programme=programme, title="Hidden", edition_year=2025, status="draft")
    response = client.get(programme.get_absolute_url())
    assert [year for year, _events in response.context["editions"].past] == [2024, 2023]
    html = response.content.decode()
    assert "1550" in html and "90" in html and "Hidden" not in html


# --- query counts -------------------------------------------------------------------------------


def test_list_query_count_does_not_grow_with_the_data(
    client, django_assert_max_num_queries, catalogue
):
    topics = [TopicFactory() for _ in range(5)]
    for event in EventFactory.create_batch(200):
        event.topics.add(*topics[:2])
        event.audiences.add(Audience.objects.get(code="academia"))
    with django_assert_max_num_queries(16):
        response = client.get(LIST, {"audience": "academia", "format": "online"})
    assert response.context["result"].total == 200


def test_detail_query_count_does_not_grow_with_sessions(client, django_assert_max_num_queries):
    event = EventFactory()
    speakers = SpeakerFactory.create_batch(10)
    resources = ResourceFactory.create_batch(5, status="published")
    topic = TopicFactory()
    event.topics.add(topic, TopicFactory())
    event.languages.add(*Language.objects.all()[:2])
    event.audiences.add(*Audience.objects.all()[:2])
    event.product_areas.add(*ProductArea.objects.all()[:2])
    event.partners.add(Partner.objects.create(name="Partner"))
    event.materials.add(*resources[:2])
    for number in range(30):
        session = SessionFactory(
            event=event,
            topic=topic,
            start=event.start + timedelta(hours=number),
            end=event.start + timedelta(hours=number, minutes=90),
        )
        session.speakers.add(*speakers[number % 10 : number % 10 + 3])
        session.resources.add(*resources[number % 5 : number % 5 + 2])
    # The event; its sessions; their speakers; the resources of the sessions and the event's
    # materials; its topics, audiences, product areas, languages and partners.
    with django_assert_max_num_queries(5):
        response = client.get(event.get_absolute_url())
    assert sum(len(items) for _day, items in response.context["agenda"]) == 30
    assert len(response.context["speakers"]) == 10
    page = response.context["page"]
    assert len(page.materials) == 2 and len(page.topics) == 2 and len(page.partners) == 1
    assert sum(len(item.resources) for _day, items in page.agenda for item in items) > 30


def test_programme_page_query_count(client, django_assert_max_num_queries):
    programme = ProgrammeFactory()
    EventFactory.create_batch(30, programme=programme)
    with django_assert_max_num_queries(3):
        client.get(programme.get_absolute_url())


def test_home_lists_upcoming_events(client, django_assert_max_num_queries):
    EventFactory.create_batch(10)
    EventFactory(title="Draft upcoming", status="draft")
    # programmes, their next editions, the other upcoming events, the latest resources
    with django_assert_max_num_queries(4):
        response = client.get(reverse("home"))
    assert len(response.context["upcoming_events"]) == 3
    assert "Draft upcoming" not in response.content.decode()


def test_banner_is_shown_with_renditions_dimensions_and_alt_text(client):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from events.services import event_banner_renditions_update

    buffer = BytesIO()
    Image.new("RGB", (1600, 600), (11, 83, 148)).save(buffer, "PNG")
    event = EventFactory(
        banner=SimpleUploadedFile("banner.png", buffer.getvalue(), content_type="image/png"),
        banner_alt="Participants in a cleanroom gowning exercise",
    )
    event_banner_renditions_update(event=event)
    html = client.get(event.get_absolute_url()).content.decode()
    img = re.search(r'<img class="event__banner"[^>]*>', html).group(0)
    assert 'alt="Participants in a cleanroom gowning exercise"' in img
    assert 'width="1600" height="600"' in img
    assert "480w" in img and "960w" in img and ".webp" in img
