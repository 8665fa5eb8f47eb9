"""Events are searched like resources: title, summary, description, programme, place and the
titles of sessions, whatever the case and accents, with synonyms and other spellings; and a
search among upcoming events says when past ones match."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import EventFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db

LIST = "/en/events/"


@pytest.fixture(autouse=True)
def _english(settings):
    translation.activate("en")
    settings.FRAGMENT_CACHE_SECONDS = 0


def _titles(response) -> list[str]:
    return [event.title for event in response.context["result"].page.object_list]


def _past(**fields):
    start = timezone.now() - timedelta(days=400)
    return EventFactory(start=start, end=start + timedelta(days=5), **fields)


def test_a_past_event_that_matches_is_offered_with_the_query_and_filters_kept(client):
    week = ProgrammeFactory(name="Week of Quality", slug="week-of-quality")
    _past(title="Week of Quality 2023: On the origin of specifications", programme=week)
    EventFactory(title="Cleaning validation workshop")
    response = client.get(LIST, {"q": "specifications", "format": "online"})
    assert _titles(response) == []
    result = response.context["result"]
    assert result.past_matches == 1
    html = response.content.decode()
    assert "1 past event matches these words" in html
    assert "when=past" in html and "q=specifications" in html and "format=online" in html
    archive = client.get(LIST, {"q": "specifications", "format": "online", "when": "past"})
    assert _titles(archive) == ["Week of Quality 2023: On the origin of specifications"]


def test_words_in_a_session_title_or_the_place_find_the_event(client):
    event = EventFactory(title="Regional workshop", format="in_person", city="Kathmandu")
    SessionFactory(event=event, title="Media fills and aseptic simulation")
    EventFactory(title="Another workshop")
    assert _titles(client.get(LIST, {"q": "media fills"})) == ["Regional workshop"]
    assert _titles(client.get(LIST, {"q": "kathmandu"})) == ["Regional workshop"]


def test_case_and_accents_do_not_matter(client):
    EventFactory(title="Atelier régional sur la qualité")
    assert _titles(client.get(LIST, {"q": "REGIONAL"})) == ["Atelier régional sur la qualité"]
    assert _titles(client.get(LIST, {"q": "regional qualite"})) == [
        "Atelier régional sur la qualité"
    ]


def test_acronyms_and_spellings_find_their_words(client):
    EventFactory(title="Quality risk management for inspectors")
    EventFactory(title="Sterilization of equipment")
    assert _titles(client.get(LIST, {"q": "QRM"})) == ["Quality risk management for inspectors"]
    assert _titles(client.get(LIST, {"q": "sterilisation"})) == ["Sterilization of equipment"]


def test_the_query_count_does_not_grow_with_the_events(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        client.get(LIST, {"q": "validation"})  # the process reads the synonyms once
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST, {"q": "validation"})
        assert response.status_code == 200
        return len(captured)

    for number in range(2):
        SessionFactory(event=EventFactory(title=f"Validation course {number}"), title="Intro")
    few = queries()
    for number in range(30):
        SessionFactory(
            event=EventFactory(title=f"Validation day {number}"), title="Process validation"
        )
    assert queries() == few <= 18
