"""Atom feeds of new resources: public resources only, newest first, per topic."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone, translation

from tests.factories import ResourceFactory, TopicFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def _entries(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    return [
        {
            "title": entry.find(f"{ATOM}title").text,
            "link": entry.find(f"{ATOM}link").get("href"),
            "summary": (entry.find(f"{ATOM}summary").text or ""),
        }
        for entry in root.findall(f"{ATOM}entry")
    ]


def test_latest_feed_lists_public_resources_newest_first(client):
    now = timezone.now()
    ResourceFactory(title="Older", published_at=now - timedelta(days=3), summary="About older.")
    ResourceFactory(title="Newer", slug="newer", published_at=now - timedelta(days=1))
    ResourceFactory(title="Restricted files", published_at=now - timedelta(days=2), access_level=2)
    ResourceFactory(title="Draft", status="draft")
    ResourceFactory(title="In review", status="in_review")
    ResourceFactory(title="Withdrawn", status="withdrawn")
    ResourceFactory(title="Embargoed", embargo_until=now + timedelta(days=5))
    entries = _entries(client.get("/en/resources/feed/"))
    # A restricted resource's record is public: only its files are not.
    assert [e["title"] for e in entries] == ["Newer", "Restricted files", "Older"]
    assert entries[2]["summary"] == "About older."
    assert entries[0]["link"].startswith("http")
    assert entries[0]["link"].endswith("/en/resources/newer/")


def test_a_resource_whose_embargo_ended_counts_as_new(client):
    now = timezone.now()
    ResourceFactory(title="Recent", published_at=now - timedelta(days=2))
    ResourceFactory(
        title="Released today",
        published_at=now - timedelta(days=30),
        embargo_until=now - timedelta(hours=1),
    )
    entries = _entries(client.get("/en/resources/feed/"))
    assert [e["title"] for e in entries] == ["Released today", "Recent"]


def test_latest_feed_holds_at_most_30_entries(client):
    ResourceFactory.create_batch(35)
    assert len(_entries(client.get("/en/resources/feed/"))) == 30


def test_topic_feed_includes_narrower_topics(client):
    broad = TopicFactory(name="Quality systems", slug="quality-systems")
    narrow = TopicFactory(name="Data integrity", slug="data-integrity", parent=broad)
    other = TopicFactory(slug="cold-chain")
    ResourceFactory(title="On the broad topic").topics.add(broad)
    ResourceFactory(title="On the narrow topic").topics.add(narrow)
    ResourceFactory(title="Elsewhere").topics.add(other)
    ResourceFactory(title="Draft on topic", status="draft").topics.add(broad)
    ResourceFactory(
        title="Embargoed on topic", embargo_until=timezone.now() + timedelta(days=1)
    ).topics.add(narrow)

    response = client.get("/en/topics/quality-systems/feed/")
    assert {e["title"] for e in _entries(response)} == {"On the broad topic", "On the narrow topic"}
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    assert "Quality systems" in root.find(f"{ATOM}title").text
    assert [e["title"] for e in _entries(client.get("/en/topics/data-integrity/feed/"))] == [
        "On the narrow topic"
    ]


def test_unknown_topic_feed_is_404(client):
    assert client.get("/en/topics/nothing/feed/").status_code == 404


def test_feeds_are_linked_from_the_pages(client):
    TopicFactory(slug="cold-chain")
    list_html = client.get("/en/resources/").content.decode()
    assert 'type="application/atom+xml" href="/en/resources/feed/"' in list_html
    topic_html = client.get("/en/topics/cold-chain/").content.decode()
    assert 'type="application/atom+xml" href="/en/topics/cold-chain/feed/"' in topic_html


def test_feed_query_count(client, django_assert_max_num_queries):
    topic = TopicFactory()
    for resource in ResourceFactory.create_batch(40):
        resource.topics.add(topic)
    # The site (for absolute links) and the items; the topic feed also reads its topic.
    with django_assert_max_num_queries(2):
        client.get("/en/resources/feed/")
    with django_assert_max_num_queries(3):
        client.get(f"/en/topics/{topic.slug}/feed/")
