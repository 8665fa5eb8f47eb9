"""One search box for the whole portal: in the header of every page (a link to the search page
on a phone), and a page that shows the events and the resources the words find, with how many
of each, working without JavaScript."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from repository.search import search_index_rebuild
from tests.factories import EventFactory, ResourceFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


@pytest.fixture
def portal(db):
    start = timezone.now() - timedelta(days=300)
    EventFactory(title="Cleaning validation workshop")
    EventFactory(title="Cleaning validation 2025", start=start, end=start + timedelta(days=2))
    EventFactory(title="Cold chain course")
    for number in range(7):
        ResourceFactory(title=f"Cleaning validation guide {number}")
    ResourceFactory(title="Water systems")
    search_index_rebuild()


def test_every_page_has_the_search_box(client, portal):
    for url in ("/en/", "/en/events/", "/en/resources/", "/en/about/"):
        html = client.get(url).content.decode()
        assert 'action="/en/search/"' in html and 'name="q"' in html, url
        assert 'for="site-search-q"' in html  # the box has a label


def test_the_page_shows_events_and_resources_with_counts_and_links(client, portal):
    response = client.get("/en/search/", {"q": "cleaning validation"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Resources (7)" in html and "Events (2)" in html
    assert html.count('class="card card--link resource-card"') == 5  # a preview of each
    assert "Cleaning validation workshop" in html and "Cleaning validation 2025" in html
    # Upcoming events first, then past ones.
    assert html.index("Cleaning validation workshop") < html.index("Cleaning validation 2025")
    assert 'href="/en/resources/?q=cleaning%20validation"' in html
    assert "See all 7 resources with these words" in html
    assert 'href="/en/events/?when=past&amp;q=cleaning%20validation"' in html
    assert "Cold chain course" not in html and "Water systems" not in html


def test_nothing_found_says_so_for_each(client, portal):
    html = client.get("/en/search/", {"q": "lyophilisation"}).content.decode()
    assert "No resource has these words." in html and "No event has these words." in html


def test_without_words_the_page_is_only_the_box(client, portal):
    html = client.get("/en/search/").content.decode()
    assert 'id="portal-search-q"' in html and "Resources (" not in html


def test_queries_do_not_grow_with_the_data(client, portal):
    def count() -> int:
        client.get("/en/search/", {"q": "validation"})
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/en/search/", {"q": "validation"}).status_code == 200
        return len(queries)

    few = count()
    for number in range(30):
        SessionFactory(event=EventFactory(title=f"Validation day {number}"))
        ResourceFactory(title=f"Validation note {number}")
    search_index_rebuild()
    assert count() <= few
