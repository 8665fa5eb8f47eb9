import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sites.models import Site

from events.structured_data import event_json_ld, json_ld_script
from lpa_portal.sitemaps import SITEMAPS, EventSitemap, ProgrammeSitemap, StaticViewSitemap
from repository.models import Language
from tests.factories import EventFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

URL = "https://lpa.example.org/en/events/marathon-2030/"
ZURICH = ZoneInfo("Europe/Zurich")


def event(**kwargs):
    defaults = {
        "title": "Marathon 2030",
        "summary": "Six weeks of cGMP sessions.",
        "time_zone": "Europe/Zurich",
        "start": datetime(2030, 3, 28, 9, 0, tzinfo=ZURICH),
        "end": datetime(2030, 4, 30, 11, 0, tzinfo=ZURICH),
        "meeting_url": "https://meet.example.org/j/secret-room-4711",
    }
    return EventFactory(**(defaults | kwargs))


def test_json_ld_of_an_online_event():
    online = event(format="online")
    online.languages.add(
        Language.objects.get_or_create(code="en")[0], Language.objects.get_or_create(code="fr")[0]
    )

    data = event_json_ld(event=online, url=URL)

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Event"
    assert data["name"] == "Marathon 2030"
    assert data["description"] == "Six weeks of cGMP sessions."
    assert data["startDate"] == "2030-03-28T09:00:00+01:00"
    assert data["endDate"] == "2030-04-30T11:00:00+02:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"] == {"@type": "VirtualLocation", "url": URL}
    assert data["organizer"]["@type"] == "Organization"
    assert data["organizer"]["name"] == (
        "World Health Organization — Local Production & Assistance Unit"
    )
    assert data["url"] == URL
    assert data["isAccessibleForFree"] is True
    assert sorted(data["inLanguage"]) == ["en", "fr"]
    assert "image" not in data
    assert "secret-room" not in json.dumps(data)


def test_json_ld_of_an_in_person_event():
    in_person = event(format="in_person", venue="CICG", city="Geneva", country="CH")

    data = event_json_ld(event=in_person, url=URL)

    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"] == {
        "@type": "Place",
        "name": "CICG",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Geneva",
            "addressCountry": "CH",
        },
    }


def test_json_ld_of_a_hybrid_event_gives_both_places():
    hybrid = event(format="hybrid", city="Nairobi", country="KE")

    data = event_json_ld(event=hybrid, url=URL)

    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    virtual, place = data["location"]
    assert virtual == {"@type": "VirtualLocation", "url": URL}
    assert place["@type"] == "Place"
    assert place["address"]["addressLocality"] == "Nairobi"
    assert place["address"]["addressCountry"] == "KE"
    assert "secret-room" not in json.dumps(data)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("published", "https://schema.org/EventScheduled"),
        ("cancelled", "https://schema.org/EventCancelled"),
        ("postponed", "https://schema.org/EventPostponed"),
    ],
)
def test_json_ld_event_status(status, expected):
    assert event_json_ld(event=event(status=status), url=URL)["eventStatus"] == expected


def test_json_ld_image_is_the_absolute_banner_url():
    with_banner = event(banner="events/banners/marathon.png", banner_alt="Speakers on a stage")

    data = event_json_ld(event=with_banner, url=URL)

    assert data["image"] == ["https://lpa.example.org/media/events/banners/marathon.png"]


def test_json_ld_script_cannot_be_broken_out_of():
    hostile = event(
        title="</script><script>alert(1)</script>",
        summary="<!-- & \u2028 “quotes” -->",
    )

    html = str(json_ld_script(event_json_ld(event=hostile, url=URL)))

    assert html.startswith('<script type="application/ld+json">')
    assert html.endswith("</script>")
    inner = html.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert "<" not in inner
    assert ">" not in inner
    assert "&" not in inner
    assert html.count("</script>") == 1
    data = json.loads(inner)
    assert data["name"] == "</script><script>alert(1)</script>"
    assert data["description"] == "<!-- & \u2028 “quotes” -->"


# The sitemap (lpa_portal/sitemaps.py): the pages search engines should know, per language.


def sitemap_urls(sitemap) -> list[dict]:
    return sitemap.get_urls(site=Site.objects.get_current(), protocol="https")


def test_event_sitemap_lists_published_events_but_no_drafts():
    published = event(slug="published-one")
    cancelled = EventFactory(status="cancelled")
    draft = EventFactory(status="draft", published_at=None)

    items = list(EventSitemap().items())

    assert published in items
    assert cancelled in items
    assert draft not in items
    locations = [url["location"] for url in sitemap_urls(EventSitemap())]
    assert any(location.endswith("/en/events/published-one/") for location in locations)
    assert any(location.endswith("/fr/events/published-one/") for location in locations)
    assert not any(draft.slug in location for location in locations)


def test_sitemap_entries_link_their_translations_and_last_change():
    published = event(slug="published-one")

    urls = sitemap_urls(EventSitemap())

    english = next(url for url in urls if url["location"].endswith("/en/events/published-one/"))
    assert english["lastmod"] == published.updated_at
    alternates = {
        alternate["lang_code"]: alternate["location"] for alternate in english["alternates"]
    }
    assert alternates["en"].endswith("/en/events/published-one/")
    assert alternates["fr"].endswith("/fr/events/published-one/")
    assert alternates["x-default"].startswith("https://")


def test_static_and_programme_sitemaps_cover_every_language():
    ProgrammeFactory(slug="marathon")

    static = [url["location"] for url in sitemap_urls(StaticViewSitemap())]
    programmes = [url["location"] for url in sitemap_urls(ProgrammeSitemap())]

    for code in ("en", "fr"):
        assert any(re.search(rf"/{code}/$", location) for location in static)
        assert any(location.endswith(f"/{code}/about/") for location in static)
        assert any(location.endswith(f"/{code}/events/") for location in static)
        assert any(location.endswith(f"/{code}/programmes/marathon/") for location in programmes)
    assert set(SITEMAPS) == {"static", "events", "programmes", "resources", "topics"}
