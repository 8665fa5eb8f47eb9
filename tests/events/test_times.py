"""Times as people read them: the event's zone named as they know it, the registration window
in that zone like the agenda, and agenda links that tell editions apart."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from events import services
from events.exceptions import RegistrationNotOpenYet
from events.times import zone_label
from tests.factories import (
    EventFactory,
    ResourceFactory,
    SessionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    # <bdi> (a value kept left to right) is inline: it adds no space to what is read.
    html = re.sub(r"</?bdi[^>]*>", "", response.content.decode())
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(
    ("zone", "moment", "label"),
    [
        ("Europe/Zurich", datetime(2030, 6, 1, tzinfo=UTC), "Geneva time (CEST, UTC+2)"),
        ("Europe/Zurich", datetime(2030, 1, 1, tzinfo=UTC), "Geneva time (CET, UTC+1)"),
        ("Africa/Nairobi", datetime(2030, 1, 1, tzinfo=UTC), "Nairobi time (EAT, UTC+3)"),
        ("Asia/Kathmandu", datetime(2030, 1, 1, tzinfo=UTC), "Kathmandu time (UTC+5:45)"),
        ("America/Sao_Paulo", datetime(2030, 1, 1, tzinfo=UTC), "Sao Paulo time (UTC-3)"),
        ("UTC", datetime(2030, 1, 1, tzinfo=UTC), "UTC"),
    ],
)
def test_zones_are_named_as_people_know_them(zone, moment, label):
    assert zone_label(moment, ZoneInfo(zone)) == label


def test_zone_names_are_translated():
    with translation.override("fr"):
        assert zone_label(datetime(2030, 6, 1, tzinfo=UTC), ZoneInfo("Europe/Zurich")) == (
            "heure de Genève (CEST, UTC+2)"
        )


def test_the_registration_window_is_given_in_the_event_time_zone(client):
    # 22:00 UTC is 01:00 the next day in Nairobi.
    opens = datetime(2099, 3, 1, 22, 0, tzinfo=UTC)
    closes = datetime(2099, 3, 20, 14, 0, tzinfo=UTC)
    start = datetime(2099, 4, 1, 6, 0, tzinfo=UTC)
    waiting = EventFactory(
        time_zone="Africa/Nairobi",
        registration_opens=opens,
        start=start,
        end=start + timedelta(hours=8),
    )
    text = _text(client.get(waiting.get_absolute_url()))
    assert "Registration opens on 2 March 2099, 01:00 , Nairobi time (EAT, UTC+3)." in text
    assert " UTC " not in text.replace("UTC+", "")
    with pytest.raises(RegistrationNotOpenYet) as error:
        services.registration_create(event=waiting, user=UserFactory(), consent=True)
    assert "2 March 2099, 01:00, Nairobi time (EAT, UTC+3)" in str(error.value.message)

    open_event = EventFactory(
        time_zone="Africa/Nairobi", registration_closes=closes, start=start, end=start
    )
    text = _text(client.get(open_event.get_absolute_url()))
    assert "Registration closes on 20 March 2099, 17:00 , Nairobi time (EAT, UTC+3)." in text


def test_agenda_links_to_resources_tell_editions_apart(client):
    event = EventFactory()
    session = SessionFactory(event=event, title="Validation")
    old = ResourceFactory(
        title="Guidelines on validation",
        reference_number="WHO TRS 1019, Annex 3",
        publication_date=datetime(2019, 5, 1).date(),
    )
    new = ResourceFactory(title="Guidelines on validation", publication_date=None)
    new.reference_number = "WHO TRS 1044, Annex 3"
    new.save()
    session.resources.add(old, new)
    text = _text(client.get(event.get_absolute_url()))
    assert "Guidelines on validation (WHO TRS 1019, Annex 3, 2019)" in text
    assert "Guidelines on validation (WHO TRS 1044, Annex 3)" in text


def test_a_session_subtitle_does_not_repeat_its_title(client):
    event = EventFactory()
    topic = TopicFactory(name="Data integrity")
    SessionFactory(event=event, title="Data integrity in the QC laboratory", topic=topic)
    SessionFactory(event=event, title="Audit trails", topic=topic)
    html = client.get(event.get_absolute_url()).content.decode()
    subtitles = re.findall(r'agenda__title">([^<]+)</h4>\s*(?:<p class="meta">([^<]+)</p>)?', html)
    assert subtitles == [
        ("Data integrity in the QC laboratory", ""),
        ("Audit trails", "Data integrity"),
    ]
