"""The event list counted from its bitsets (events.selectors.event_bitsets, kept by
events.services.event_bitsets_refresh): exactly what counting with SQL gives, whatever the
filters, search words, archive or page, in fewer queries; never used once outdated."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import FacetIndex
from events import services
from tests.factories import EventFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

LIST = "/en/events/"
URLS = [
    {},
    {"when": "past"},
    {"when": "past", "page": "2"},
    {"page": "2"},
    {"page": "99"},  # past the end: the last page
    {"programme": "marathon"},
    {"programme": "workshops", "audience": "manufacturer"},
    {"format": "in_person"},
    {"region": "GLOBAL"},
    {"region": "EMRO", "when": "past"},
    {"topic": "quality-systems"},
    {"topic": "data-integrity"},
    {"topic": "no-such-topic"},
    {"audience": "regulator", "open": "true"},
    {"open": "false"},
    {"product_area": "vaccines"},
    {"language": "fr"},
    {"region": "AFRO", "language": "fr"},  # nothing
    {"year": str(timezone.now().year + 2)},
    {"q": "nairobi"},
    {"q": "workshops", "format": "hybrid"},
    {"q": "archived"},  # only in the archive: said on the upcoming list
    {"q": "nairoby"},  # misspelt: corrected
    {"q": "nothingmatcheshere"},
]


@pytest.fixture(autouse=True)
def _english_and_nothing_kept(settings):
    translation.activate("en")
    settings.FRAGMENT_CACHE_SECONDS = 0


@pytest.fixture
def archive(catalogue):
    """Past editions, two of them starting at the same time, enough for two archive pages."""
    programme = ProgrammeFactory(name="Archive", slug="archive")
    start = timezone.now() - timedelta(days=400)
    for number in range(14):
        EventFactory(
            title=f"Archived workshop {number}",
            programme=programme,
            start=start + timedelta(days=10 * (number // 2)),
            region="EMRO" if number % 3 else "AFRO",
        )


def _seen(response) -> tuple:
    result = response.context["result"]
    return (
        result.total,
        result.page.number,
        [event.title for event in result.page.object_list],
        [(f.name, [(o.value, o.count, o.selected) for o in f.options]) for f in result.facets],
        result.past_matches,
        result.corrected,
    )


def test_kept_bitsets_give_what_counting_gives(client, archive):
    counted = [_seen(client.get(LIST, params)) for params in URLS]
    assert FacetIndex.objects.count() == 0
    assert services.event_bitsets_refresh() == 1
    with CaptureQueriesContext(connection) as queries:
        kept = [_seen(client.get(LIST, params)) for params in URLS]
    assert "accounts_facetindex" in " ".join(query["sql"] for query in queries)
    assert kept == counted
    assert counted[2][2], "the second page of the archive is not empty"


def test_the_filters_add_no_query_and_nothing_is_counted_by_sql(client, archive):
    services.event_bitsets_refresh()
    with CaptureQueriesContext(connection) as whole:
        client.get(LIST)
    with CaptureQueriesContext(connection) as filtered:
        params = {"programme": "workshops", "audience": "regulator", "region": "AFRO"}
        response = client.get(LIST, {**params, "topic": "sterile", "when": "past"})
    statements = " ".join(query["sql"] for query in filtered)
    assert "COUNT(DISTINCT" not in statements
    assert len(filtered) <= len(whole)
    assert response.context["result"].total == 0


def test_bitsets_are_not_used_once_an_event_has_ended(client, catalogue, monkeypatch):
    services.event_bitsets_refresh()
    assert len(client.get(LIST).context["result"].page.object_list) == 3
    later = timezone.now() + timedelta(days=15)  # the first event has ended
    monkeypatch.setattr(timezone, "now", lambda: later)
    with CaptureQueriesContext(connection) as queries:
        result = client.get(LIST).context["result"]
    assert [event.title for event in result.page.object_list] == [
        "Workshop in Nairobi",
        "Hybrid QMS training in Cairo",
    ]
    assert "COUNT(DISTINCT" in " ".join(query["sql"] for query in queries)  # counted with SQL


def test_a_change_by_a_service_builds_them_again(
    client,
    catalogue,
    django_capture_on_commit_callbacks,
):
    services.event_bitsets_refresh()
    draft = EventFactory(title="Newly published", status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        services.event_publish(event=draft)
    with CaptureQueriesContext(connection) as queries:
        result = client.get(LIST).context["result"]
    assert "COUNT(DISTINCT" not in " ".join(query["sql"] for query in queries)  # the new bitsets
    assert "Newly published" in [event.title for event in result.page.object_list]
