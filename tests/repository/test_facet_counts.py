"""The counts of the repository list's facets, from the bitsets kept after each change of the
content (repository.services.facet_counts_refresh): the list reads them instead of counting every
resource, and gives exactly what counting would, whatever the filters, search words, sort and
page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import FacetIndex
from repository import services
from repository.models import Resource
from tests.factories import ResourceFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/en/resources/"
URLS = [
    {},
    {"page": "2"},
    {"sort": "downloads"},
    {"sort": "title"},
    {"type": "guidance"},
    {"type": "tool"},
    {"topic": "quality-systems"},
    {"topic": "sterile"},
    {"audience": "regulator"},
    {"product_area": "vaccines"},
    {"language": "fr"},
    {"year": "2023"},
    {"region": "AFRO"},
    {"type": "guidance", "audience": "regulator"},
    {"type": "guidance", "year": "2023", "language": "es"},
    {"type": "tool", "year": "2021"},  # nothing: the suggestions count without each filter
    {"topic": "quality-systems", "audience": "manufacturer", "year": "2023"},
    {"topic": "unknown-topic"},
    {"page": "99"},  # past the end: the last page
    {"type": "guidance", "sort": "title"},
    {"audience": "regulator", "sort": "downloads", "page": "2"},
    # Search words: the matches, then the filters and counts over them.
    {"q": "quality"},
    {"q": "integrity", "language": "fr"},
    {"q": "audit", "sort": "newest"},
    {"q": "guideline", "type": "tool"},
    {"q": "nothingmatcheshere"},
]


@pytest.fixture(autouse=True)
def _english_and_nothing_kept(settings):
    translation.activate("en")
    # Each page made afresh: the comparisons are of what the list counts or reads.
    settings.FRAGMENT_CACHE_SECONDS = 0


def _seen(response) -> tuple:
    result = response.context["result"]
    return (
        result.total,
        [resource.slug for resource in result.page.object_list],
        [(f.name, [(o.value, o.count, o.selected) for o in f.options]) for f in result.facets],
        [(s.facet.name, s.count) for s in result.suggestions],
    )


@pytest.mark.parametrize("staff", [False, True])
def test_kept_counts_give_what_counting_gives(client, catalogue, staff):
    if staff:
        client.force_login(UserFactory(is_staff=True))
    counted = [_seen(client.get(LIST, params)) for params in URLS]
    assert services.facet_counts_refresh() > 0
    kept = [_seen(client.get(LIST, params)) for params in URLS]
    assert kept == counted
    # Staff see the draft in the counts, the public does not.
    assert any(
        value == "tool" and count == (2 if staff else 1)
        for value, count, _s in dict(counted[0][2])["type"]
    )


def test_the_whole_list_reads_the_kept_counts_instead_of_counting(client, catalogue):
    services.facet_counts_refresh()
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST)
    statements = " ".join(query["sql"] for query in queries)
    assert "accounts_facetindex" in statements
    assert "WITH m " not in statements  # the counting statement did not run


def test_a_change_of_the_content_is_counted_at_once(client, catalogue):
    services.facet_counts_refresh()
    draft = Resource.objects.get(title="Draft never listed")
    services.resource_publish(resource=draft)
    assert client.get(LIST).context["result"].total == 4


def test_an_embargo_that_ends_is_counted_when_it_ends(client, catalogue, monkeypatch):
    ResourceFactory(title="Under embargo", embargo_until=timezone.now() + timedelta(hours=1))
    services.facet_counts_refresh()
    assert client.get(LIST).context["result"].total == 3
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get(LIST).context["result"].total == 4


def test_counts_are_not_trusted_while_the_cache_cannot_say_they_are_current(
    client,
    catalogue,
    monkeypatch,
):
    services.facet_counts_refresh()
    ResourceFactory(title="Added without a service")  # no content version change
    monkeypatch.setattr(
        "accounts.facet_index.content_versions", lambda: {"events": None, "repository": None}
    )
    assert client.get(LIST).context["result"].total == 4
    assert FacetIndex.objects.exists()


def test_counts_lost_with_the_cache_are_counted_again_once_asked(client, catalogue):
    """Redis restarted (the content versions gone): the list counts for itself once and asks
    for a new count, which the task worker makes; the next visitors read the kept counts."""
    from django.core.cache import cache

    services.facet_counts_refresh()
    cache.clear()
    with CaptureQueriesContext(connection) as first:
        assert client.get(LIST).context["result"].total == 3
    assert "WITH m " in " ".join(query["sql"] for query in first)  # counted for itself
    with CaptureQueriesContext(connection) as later:
        assert client.get(LIST).context["result"].total == 3
    statements = " ".join(query["sql"] for query in later)
    assert "accounts_facetindex" in statements
    assert "WITH m " not in statements


@pytest.mark.parametrize(
    "params",
    [
        {"type": "guidance"},
        {"topic": "quality-systems", "audience": "regulator"},
        {"q": "quality", "language": "es"},
        {"year": "2023", "page": "2"},
    ],
)
def test_filtered_lists_count_from_the_kept_bitsets(client, catalogue, params):
    """Whatever the filters, the counts come from the kept bitsets: the counting statement
    does not run, and the filters add no query to the list (or the search) without them."""
    services.facet_counts_refresh()
    unfiltered = {name: value for name, value in params.items() if name in ("q", "page")}
    client.get(LIST, unfiltered)  # what a process reads once (the synonyms, the vocabulary)
    with CaptureQueriesContext(connection) as whole:
        client.get(LIST, unfiltered)
    with CaptureQueriesContext(connection) as filtered:
        client.get(LIST, params)
    statements = " ".join(query["sql"] for query in filtered)
    assert "accounts_facetindex" in statements
    assert "WITH m " not in statements
    # (A search is logged once per visitor, words and filters: writes are not compared.)
    reads = [query for query in filtered if query["sql"].startswith("SELECT")]
    assert len(reads) <= len([query for query in whole if query["sql"].startswith("SELECT")])
