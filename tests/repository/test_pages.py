"""The repository pages: list with facets, a resource, a topic, the home page; query counts."""

import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from repository.models import Audience, ProductArea, Region, Resource, ResourceFile, Topic
from repository.search import search_index_rebuild
from tests.factories import (
    EventFactory,
    QAItemFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/en/resources/"


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def _slugs(response) -> list[str]:
    return [resource.slug for resource in response.context["resources"]]


def _facet(response, name) -> dict[str, int]:
    return {
        option.value: option.count
        for facet in response.context["result"].facets
        if facet.name == name
        for option in facet.options
    }


def _assert_accessible_page(html: str):
    assert html.count("<h1") == 1
    assert ' style="' not in html
    # The only script allowed in a page is data (JSON-LD), never code.
    for script in re.findall(r"<script[^>]*>", html):
        assert 'type="application/ld+json"' in script or " src=" in script
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        assert f'for="{field_id}"' in html, field_id


# --- List and facets ----------------------------------------------------------------------------


def test_list_shows_published_resources_newest_first(client, catalogue):
    response = client.get(LIST)
    assert _slugs(response) == [catalogue[n].slug for n in ("manual", "tool", "integrity")]
    html = response.content.decode()
    assert "Draft never listed" not in html
    # Cards: type, year, languages available, downloads.
    assert "Guidance · 2021" in html
    assert "Languages: English, French" in html
    assert "50 downloads" in html
    _assert_accessible_page(html)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["manual", "tool", "integrity"]),
        ("downloads", ["tool", "integrity", "manual"]),
        ("title", ["tool", "integrity", "manual"]),
        ("bogus", ["manual", "tool", "integrity"]),
    ],
)
def test_sorting(client, catalogue, sort, expected):
    assert _slugs(client.get(LIST, {"sort": sort})) == [catalogue[n].slug for n in expected]


def test_relevance_is_the_default_only_with_search_words(client, catalogue):
    assert client.get(LIST).context["result"].sort == "newest"
    assert client.get(LIST, {"q": "guideline"}).context["result"].sort == "relevance"
    html = client.get(LIST).content.decode()
    assert 'value="relevance"' not in html


def test_facet_counts_follow_the_other_filters(client, catalogue):
    response = client.get(LIST, {"type": "guidance"})
    assert _slugs(response) == [catalogue["manual"].slug, catalogue["integrity"].slug]
    # The type facet counts without its own filter, so other types stay reachable.
    assert _facet(response, "type")["guidance"] == 2
    assert _facet(response, "type")["tool"] == 1
    # The other facets count within the guidance documents.
    assert _facet(response, "audience")["manufacturer"] == 2
    assert _facet(response, "audience")["regulator"] == 1
    assert _facet(response, "product_area")["vaccines"] == 0
    assert _facet(response, "language") == {
        "ar": 0,
        "zh": 0,
        "en": 1,
        "fr": 1,
        "ru": 0,
        "es": 1,
    }
    assert _facet(response, "year") == {"2023": 1, "2021": 1}
    assert _facet(response, "region")["AFRO"] == 1


def test_broad_topic_includes_narrower_ones(client, catalogue):
    response = client.get(LIST, {"topic": "quality-systems"})
    assert set(_slugs(response)) == {catalogue["integrity"].slug, catalogue["manual"].slug}
    counts = _facet(response, "topic")
    assert counts["quality-systems"] == 2
    assert counts["data-integrity"] == 1
    assert counts["sterile"] == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"language": "fr"}, ["integrity"]),
        ({"language": "en", "audience": "regulator"}, ["tool"]),
        ({"year": "2023", "product_area": "vaccines"}, ["tool"]),
        ({"region": "AFRO"}, ["integrity"]),
    ],
)
def test_filters_combine(client, catalogue, params, expected):
    assert _slugs(client.get(LIST, params)) == [catalogue[n].slug for n in expected]


def test_filter_form_works_without_javascript(client, catalogue):
    html = client.get(LIST, {"type": "tool"}).content.decode()
    assert '<form method="get"' in html
    assert re.search(r'name="type" value="tool" checked>\s*<label [^>]+>Tool <[^>]+>\(1\)', html)
    assert re.search(r'name="type" value="guidance">\s*<label [^>]+>Guidance <[^>]+>\(2\)', html)
    assert '<label for="filter-sort">' in html
    assert 'href="/en/resources/feed/"' in html


def test_zero_results_suggest_ways_out(client, catalogue):
    response = client.get(LIST, {"type": "tool", "language": "fr"})
    assert response.context["result"].total == 0
    suggestions = {s.facet.name: s.count for s in response.context["result"].suggestions}
    assert suggestions == {"type": 1, "language": 1}
    html = response.content.decode()
    assert "Remove the filter “Type: Tool”" in html
    assert 'href="/en/resources/?language=fr"' in html
    assert 'href="/en/resources/?type=tool"' in html
    assert 'href="/en/topics/quality-systems/"' in html  # browse by topic
    html = client.get(LIST, {"q": "zzzzqqq"}).content.decode()
    assert "Check the spelling" in html


def test_invalid_filter_gives_an_empty_list_not_an_error(client, catalogue):
    response = client.get(LIST, {"type": "nonsense", "year": "abc"})
    assert response.status_code == 200
    assert response.context["result"].total == 0


def test_blank_filters_filter_nothing(client, catalogue):
    everything = client.get(LIST).context["result"]
    response = client.get(LIST, {"topic": " "})
    assert response.status_code == 200
    result = response.context["result"]
    assert result.total == everything.total
    assert [f.options for f in result.facets] == [f.options for f in everything.facets]


def test_pagination(client, db):
    Resource.objects.bulk_create(
        Resource(title=f"R {n}", slug=f"r-{n}", kind="tool", status="published") for n in range(45)
    )
    response = client.get(LIST, {"page": 3})
    assert len(response.context["resources"]) == 5
    assert client.get(LIST, {"page": 99}).context["page_obj"].number == 3


@pytest.mark.parametrize(
    ("page", "expected"), [("2", 2), ("abc", 1), ("0", "last"), ("999", "last"), ("", 1)]
)
def test_each_page_holds_its_resources_in_order(client, db, page, expected):
    # Filtered and sorted: the resources of a page are those of the whole list at its place.
    resources = Resource.objects.bulk_create(
        Resource(title=f"R {n % 7} {n}", slug=f"r-{n}", kind="tool", status="published")
        for n in range(100)
    )
    audience = Audience.objects.order_by("code").first()
    Resource.audiences.through.objects.bulk_create(
        Resource.audiences.through(resource_id=resource.pk, audience_id=audience.pk)
        for resource in resources[::2]
    )
    response = client.get(LIST, {"audience": audience.code, "sort": "title", "page": page})
    everyone = list(
        Resource.objects.filter(audiences=audience)
        .order_by("title", "pk")
        .values_list("slug", flat=True)
    )
    last = (len(everyone) - 1) // 20 + 1
    number = last if expected == "last" else expected
    assert response.context["page_obj"].number == number
    assert response.context["result"].total == len(everyone) == 50
    shown = [resource.slug for resource in response.context["resources"]]
    assert shown == everyone[(number - 1) * 20 : number * 20]


# --- One resource -------------------------------------------------------------------------------


@pytest.fixture
def guide(db):
    old = ResourceFactory(title="Old validation guide", slug="old-validation")
    resource = ResourceFactory(
        title="Good manufacturing practices: guidelines on validation",
        slug="gmp-validation",
        kind="guidance",
        reference_number="WHO TRS 1019, Annex 3",
        isbn="978-92-4-000001-7",
        publication_date=date(2019, 4, 1),
        date_precision="month",
        licence="CC BY-NC-SA 3.0 IGO",
        summary="Validation of processes, cleaning and computerized systems.",
        body="## Scope\n\nApplies to **all** products.",
        supersedes=old,
        download_count=1234,
    )
    topic = TopicFactory(name="Process validation", slug="process-validation")
    resource.topics.add(topic)
    resource.audiences.add(Audience.objects.get(code="manufacturer"))
    resource.product_areas.add(ProductArea.objects.get(code="medicines"))
    resource.regions.add(Region.objects.get(code="SEARO"))
    ResourceFileFactory(
        resource=resource, language="en", size=int(2.1 * 1024 * 1024), page_count=64
    )
    ResourceFileFactory(
        resource=resource,
        language="fr",
        title="Bonnes pratiques de fabrication : lignes directrices sur la validation",
        size=900_000,
        page_count=70,
    )
    ResourceFileFactory(resource=resource, language="en", link=True, title="Annex tables")
    QAItemFactory(resource=resource, number=7, question="Is revalidation periodic?")
    event = EventFactory(title="Marathon 2024")
    event.materials.add(resource)
    EventFactory(title="Draft event", status="draft").materials.add(resource)
    session = SessionFactory(event=event, title="Validation master plans")
    session.resources.add(resource)
    return resource


def test_detail_page_shows_metadata_files_and_links(client, guide):
    response = client.get(guide.get_absolute_url())
    html = response.content.decode()
    _assert_accessible_page(html)
    assert (
        '<h1 id="resource-title">Good manufacturing practices: guidelines on validation</h1>'
        in html
    )
    assert "WHO TRS 1019, Annex 3" in html
    assert "978-92-4-000001-7" in html
    assert "April 2019" in html  # month precision
    assert "CC BY-NC-SA 3.0 IGO" in html
    assert 'href="/en/topics/process-validation/"' in html
    assert "Manufacturer" in html and "Medicines" in html
    assert "<h2>Scope</h2>" in html and "<strong>all</strong>" in html
    # Every language edition with its format, size and length.
    assert "PDF, 2.1 MB, 64 pages" in html
    assert "PDF, 878.9 KB, 70 pages" in html
    assert 'lang="fr">Bonnes pratiques' in html
    files = list(guide.files.order_by("pk"))
    assert f'href="/en/resources/gmp-validation/files/{files[0].pk}/download/"' in html
    assert 'href="https://www.who.int/publications/i/item/example"' in html
    assert "Link to who.int" in html
    assert "Downloaded 1234 times" in html
    editions = response.context["detail"].editions
    assert [e.language for e in editions] == ["en", "fr"]
    assert len(editions[0].files) == 2
    # Q&A items can be linked to.
    assert 'id="q-7"' in html and 'href="#q-7"' in html
    # Related events and sessions; drafts left out.
    assert "Marathon 2024" in html and "Validation master plans" in html
    assert "Draft event" not in html
    assert "#session-" in html
    # The older version it replaces.
    assert "Supersedes:" in html and 'href="/en/resources/old-validation/"' in html
    assert "Licence: CC BY-NC-SA 3.0 IGO." in html  # suggested citation


def test_superseded_resource_points_to_the_current_version(client, guide):
    html = client.get("/en/resources/old-validation/").content.decode()
    assert "This resource has been superseded." in html
    assert 'href="/en/resources/gmp-validation/"' in html


def test_superseding_draft_is_not_announced_to_the_public(client, guide):
    guide.status = "draft"
    guide.save()
    html = client.get("/en/resources/old-validation/").content.decode()
    assert "superseded" not in html


def test_citation_meta_tags_and_structured_data(client, guide):
    html = client.get(guide.get_absolute_url()).content.decode()
    first_pdf = guide.files.order_by("pk").first()
    assert f'<meta name="citation_title" content="{guide.title}">' in html
    assert '<meta name="citation_publisher" content="World Health Organization">' in html
    assert '<meta name="citation_publication_date" content="2019/04">' in html
    assert '<meta name="citation_technical_report_number" content="WHO TRS 1019, Annex 3">' in html
    assert '<meta name="citation_isbn" content="978-92-4-000001-7">' in html
    assert (
        '<meta name="citation_pdf_url" content="http://testserver/en/resources/gmp-validation/'
        f'files/{first_pdf.pk}/download/">'
    ) in html
    payload = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(payload.group(1))
    assert data["@type"] == "Report"
    assert data["name"] == guide.title
    assert data["datePublished"] == "2019-04"
    assert data["reportNumber"] == "WHO TRS 1019, Annex 3"
    assert data["identifier"] == ["WHO TRS 1019, Annex 3", "978-92-4-000001-7"]
    assert data["publisher"]["name"] == "World Health Organization"
    assert data["inLanguage"] == ["en", "fr"]
    assert data["url"] == "http://testserver/en/resources/gmp-validation/"
    assert data["license"] == "CC BY-NC-SA 3.0 IGO"


def test_restricted_resource_has_no_pdf_url_for_scholars(client, guide):
    guide.access_level = 1
    guide.save()
    html = client.get(guide.get_absolute_url()).content.decode()
    assert "citation_pdf_url" not in html


def test_structured_data_cannot_break_out_of_its_script(client, db):
    resource = ResourceFactory(title="</script><script>alert(1)</script>")
    html = client.get(resource.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_unknown_resource_is_404(client, db):
    assert client.get("/en/resources/no-such-thing/").status_code == 404


# --- Topics ---------------------------------------------------------------------------------


def test_topic_page(client, db):
    broad = TopicFactory(name="Quality systems", slug="quality-systems", description="QMS.")
    narrow = TopicFactory(name="Data integrity", slug="data-integrity", parent=broad)
    on_broad = ResourceFactory(title="Quality manual")
    on_broad.topics.add(broad)
    on_narrow = ResourceFactory(title="Integrity guideline")
    on_narrow.topics.add(narrow)
    ResourceFactory(title="Elsewhere")
    upcoming = EventFactory(title="Integrity workshop")
    upcoming.topics.add(narrow)
    past = EventFactory(
        title="Old workshop",
        start=timezone.now() - timedelta(days=100),
        end=timezone.now() - timedelta(days=99),
    )
    past.topics.add(broad)
    EventFactory(title="Draft workshop", status="draft").topics.add(broad)

    response = client.get("/en/topics/quality-systems/")
    html = response.content.decode()
    _assert_accessible_page(html)
    assert "<h1>Quality systems</h1>" in html
    assert 'href="/en/topics/data-integrity/"' in html  # narrower topic
    assert set(_slugs(response)) == {on_broad.slug, on_narrow.slug}
    assert "Integrity workshop" in html
    assert "Old workshop" not in html and "Draft workshop" not in html
    assert 'href="/en/topics/quality-systems/feed/"' in html

    narrow_page = client.get("/en/topics/data-integrity/")
    assert _slugs(narrow_page) == [on_narrow.slug]
    assert 'href="/en/topics/quality-systems/"' in narrow_page.content.decode()  # breadcrumb
    assert client.get("/en/topics/nothing/").status_code == 404


# --- Home and sitemap -----------------------------------------------------------------------


def test_home_shows_the_latest_public_resources(client, db):
    now = timezone.now()
    for n in range(5):
        ResourceFactory(title=f"Resource {n}", published_at=now - timedelta(days=10 - n))
    ResourceFactory(title="Draft resource", status="draft", published_at=now)
    ResourceFactory(title="Embargoed resource", embargo_until=now + timedelta(days=1))
    response = client.get(reverse("home"))
    titles = [resource.title for resource in response.context["latest_resources"]]
    assert titles == ["Resource 4", "Resource 3", "Resource 2"]
    html = response.content.decode()
    assert "Latest resources" in html and "Resource 4" in html
    assert "Draft resource" not in html and "Embargoed resource" not in html


def test_sitemap_lists_resources_topics_and_the_repository(client, db):
    resource = ResourceFactory()
    TopicFactory(slug="cold-chain")
    xml = client.get("/sitemap.xml").content.decode()
    assert f"/en/resources/{resource.slug}/" in xml
    assert f"/fr/resources/{resource.slug}/" in xml
    assert "/en/topics/cold-chain/" in xml
    assert "/en/resources/</loc>" in xml


# --- Query counts ---------------------------------------------------------------------------

MANY = 2000


@pytest.fixture
def many_resources(db):
    """Thousands of resources, each on three topics, with two files and an audience."""
    broad = Topic.objects.bulk_create(Topic(name=f"Broad {n}", slug=f"broad-{n}") for n in range(5))
    narrow = Topic.objects.bulk_create(
        Topic(name=f"Narrow {n}", slug=f"narrow-{n}", parent=broad[n % 5]) for n in range(20)
    )
    topics = broad + narrow
    kinds = [value for value, _label in Resource.Kind.choices]
    resources = Resource.objects.bulk_create(
        Resource(
            title=f"Sterility guidance {n}",
            slug=f"sterility-guidance-{n}",
            kind=kinds[n % len(kinds)],
            status="published",
            access_level=n % 3,
            summary=f"Summary {n} on sterility assurance.",
            publication_date=date(2000 + n % 25, 1, 1),
            publication_year=2000 + n % 25,
            download_count=n,
        )
        for n in range(MANY)
    )
    through = Resource.topics.through
    through.objects.bulk_create(
        through(resource_id=r.pk, topic_id=topics[(i + k * 7) % len(topics)].pk)
        for i, r in enumerate(resources)
        for k in range(3)
    )
    audiences = list(Audience.objects.all())
    Resource.audiences.through.objects.bulk_create(
        Resource.audiences.through(resource_id=r.pk, audience_id=audiences[i % len(audiences)].pk)
        for i, r in enumerate(resources)
    )
    ResourceFile.objects.bulk_create(
        ResourceFile(
            resource_id=r.pk,
            language=language,
            external_url="https://example.org/file.pdf",
            extracted_text="sterility assurance inside the file",
        )
        for r in resources
        for language in ("en", "fr")
    )
    search_index_rebuild()
    if connection.vendor == "postgresql":
        # As autovacuum would in production: without up-to-date statistics (an earlier test
        # may have left them saying these tables are empty) the planner may pick nested loops
        # over thousands of rows, and a query-count test then runs for minutes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return resources


LIST_QUERIES = 13  # count, page, files of the page, topics, 8 facets (topic: 2), years
# And the log of the search; on PostgreSQL, the lookup of an exact reference or ISBN.
SEARCH_QUERIES = LIST_QUERIES + 2


@pytest.mark.parametrize("visitor", ["anonymous", "regulator"])
def test_list_query_count(client, many_resources, django_assert_max_num_queries, visitor):
    if visitor == "regulator":
        client.force_login(UserFactory(is_verified_regulator=True))
    extra = 2 if visitor == "regulator" else 0  # session and user
    with django_assert_max_num_queries(LIST_QUERIES + extra):
        response = client.get(LIST, {"audience": "manufacturer", "topic": "broad-1"})
    assert response.context["result"].total > 100
    assert len(response.context["resources"]) == 20


def test_search_query_count(client, many_resources, django_assert_max_num_queries):
    with django_assert_max_num_queries(SEARCH_QUERIES):
        response = client.get(LIST, {"q": "sterility", "type": "guidance", "sort": "relevance"})
    assert response.context["result"].total > 100


def test_zero_result_query_count(client, many_resources, django_assert_max_num_queries):
    params = {
        "type": "tool",
        "topic": "broad-1",
        "audience": "manufacturer",
        "language": "ar",
        "year": "2001",
    }
    # Plus one count for each of the five active filters.
    with django_assert_max_num_queries(LIST_QUERIES + 5):
        response = client.get(LIST, params)
    assert response.context["result"].total == 0
    assert len(response.context["result"].suggestions) == 5


def test_detail_query_count(client, many_resources, django_assert_max_num_queries):
    resource = many_resources[0]
    for n in range(30):
        QAItemFactory(resource=resource, number=n + 1)
    for _ in range(5):
        event = EventFactory()
        event.materials.add(resource)
        SessionFactory(event=event).resources.add(resource)
    ResourceFactory(supersedes=resource)
    # resource, files, topics, audiences, product areas, regions, newer versions, events,
    # sessions, Q&A items
    with django_assert_max_num_queries(10):
        response = client.get(resource.get_absolute_url())
    assert len(response.context["detail"].qa_items) == 30
    assert len(response.context["detail"].sessions) == 5


def test_topic_page_query_count(client, many_resources, django_assert_max_num_queries):
    for _ in range(5):
        EventFactory().topics.add(Topic.objects.get(slug="narrow-3"))
    # topic, narrower topics, count, page, files of the page, events
    with django_assert_max_num_queries(6):
        response = client.get("/en/topics/broad-3/")
    assert response.context["page_obj"].paginator.count > 100
    assert len(response.context["upcoming_events"]) == 5


def test_home_query_count(client, many_resources, django_assert_max_num_queries):
    # programmes, upcoming events, latest resources
    with django_assert_max_num_queries(3):
        response = client.get(reverse("home"))
    assert len(response.context["latest_resources"]) == 3


def test_small_download_counts_are_not_shown_to_the_public(client, staff_user):
    new = ResourceFactory(title="Brand new guideline", download_count=0)
    few = ResourceFactory(title="Little read guideline", download_count=9)
    read = ResourceFactory(title="Well read guideline", download_count=10)
    html = client.get(LIST).content.decode()
    assert ">0 downloads<" not in html and ">9 downloads<" not in html
    assert ">10 downloads<" in html
    assert "Downloaded" not in client.get(new.get_absolute_url()).content.decode()
    assert "Downloaded 10 times" in client.get(read.get_absolute_url()).content.decode()
    # Staff see every count.
    client.force_login(staff_user)
    html = client.get(LIST).content.decode()
    assert ">0 downloads<" in html and ">9 downloads<" in html
    assert "Downloaded 9 times" in client.get(few.get_absolute_url()).content.decode()
