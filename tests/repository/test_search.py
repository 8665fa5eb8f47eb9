"""Search of the repository: relevance on PostgreSQL, the plain fallback, logging, escaping."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from repository.models import Resource, SearchQuery
from repository.search import (
    resource_search_index_update,
    search_index_rebuild,
    search_query_log,
    search_resources,
)
from tests.factories import QAItemFactory, ResourceFactory, ResourceFileFactory, TopicFactory

pytestmark = pytest.mark.django_db

LIST = "/en/resources/"


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


@pytest.fixture
def library(db):
    """A few real WHO titles, with text where a search must look for it."""
    integrity = TopicFactory(name="Data integrity", slug="data-integrity")
    docs = {
        "integrity": ResourceFactory(
            title="Guideline on data integrity",
            reference_number="WHO TRS 1033, Annex 4",
            summary="Principles for records and data in regulated activities.",
        ),
        "risk": ResourceFactory(
            title="WHO guidelines on quality risk management",
            reference_number="WHO TRS 981, Annex 2",
            summary="Risk management across the product life cycle.",
            body="Reviews of audit trails support data integrity in the laboratory.",
        ),
        "transfer": ResourceFactory(
            title="WHO guidelines on technology transfer in pharmaceutical manufacturing",
            reference_number="WHO TRS 1044, Annex 4",
            summary="Transfer of processes between sites.",
        ),
        "sterile": ResourceFactory(
            title="WHO good manufacturing practices for sterile pharmaceutical products",
            reference_number="WHO TRS 1044, Annex 2",
            summary="Aseptic processing and contamination control.",
            body="Cleaning validation of equipment in grade A areas.",
        ),
        "validation": ResourceFactory(
            title="Good manufacturing practices: guidelines on validation",
            reference_number="WHO TRS 1019, Annex 3",
            summary="Qualification of equipment and cleaning validation of facilities.",
        ),
        "qa": ResourceFactory(
            title="Virtual cGMP Training Marathon for Vaccine Manufacturing: Questions & Answers",
            reference_number="WHO/MHP/RPQ/LPA/2022.1",
            kind="qa_report",
            summary="Questions asked by manufacturers during the 2021 marathon.",
        ),
    }
    docs["risk"].topics.add(integrity)
    ResourceFileFactory(
        resource=docs["transfer"],
        extracted_text="Annex: lyophilisation cycles and the receiving unit's readiness.",
    )
    QAItemFactory(
        resource=docs["qa"],
        question="How often should media fills be repeated?",
        answer="Twice a year for each filling line.",
    )
    search_index_rebuild()
    return docs


def _found(client, query, **params) -> list[str]:
    response = client.get(LIST, {"q": query, **params})
    assert response.status_code == 200
    return [resource.slug for resource in response.context["resources"]]


def _slugs(library, *names) -> list[str]:
    return [library[name].slug for name in names]


# --- PostgreSQL relevance -------------------------------------------------------------------


@pytest.mark.postgres
def test_title_match_outranks_body_match(client, library):
    assert _found(client, "integrity") == _slugs(library, "integrity", "risk")


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("WHO TRS 1044, Annex 4", "transfer"),
        ("trs 1044 annex 4", "transfer"),
        ("WHO TRS 1044, Annex 2", "sterile"),
        ("WHO/MHP/RPQ/LPA/2022.1", "qa"),
    ],
)
def test_reference_number_finds_its_document_first(client, library, query, expected):
    found = _found(client, query)
    assert found[0] == library[expected].slug


@pytest.mark.postgres
def test_isbn_finds_its_document_with_or_without_hyphens(client, library):
    library["validation"].isbn = "978-92-4-000001-7"
    library["validation"].save()
    resource_search_index_update(resource_ids=[library["validation"].pk])
    assert _found(client, "9789240000017")[0] == library["validation"].slug
    assert _found(client, "978-92-4-000001-7")[0] == library["validation"].slug


@pytest.mark.postgres
def test_a_typo_still_finds_the_document(client, library):
    assert _found(client, "integrety")[0] == library["integrity"].slug
    assert library["qa"].slug in _found(client, "vacine manufacturing")


@pytest.mark.postgres
def test_a_word_inside_a_file_finds_it(client, library):
    assert _found(client, "lyophilisation") == _slugs(library, "transfer")
    assert _found(client, "media fills") == _slugs(library, "qa")


@pytest.mark.postgres
def test_stemming_finds_other_forms_of_a_word(client, library):
    assert set(_found(client, "validating")) == set(_slugs(library, "validation", "sterile"))


@pytest.mark.postgres
def test_accents_are_ignored(client, library):
    assert _found(client, "intégrité") == _found(client, "integrite")
    assert library["integrity"].slug in _found(client, "dátá integrity")


@pytest.mark.postgres
def test_web_search_syntax(client, library):
    assert _found(client, '"cleaning validation" -sterile') == _slugs(library, "validation")
    assert set(_found(client, "lyophilisation OR fills")) == set(_slugs(library, "transfer", "qa"))
    # A phrase needs its words together and in order.
    assert _found(client, '"validation cleaning"') == []


@pytest.mark.postgres
def test_index_is_current_after_an_update(client, library):
    resource = library["risk"]
    assert _found(client, "pharmacovigilance") == []
    resource.title = "Pharmacovigilance and quality risk management"
    resource.save()
    resource_search_index_update(resource_ids=[resource.pk])
    assert _found(client, "pharmacovigilance") == [resource.slug]

    file = ResourceFileFactory(resource=resource, extracted_text="Hold-time studies of bulk.")
    assert _found(client, "hold-time") == []
    resource_search_index_update(resource_ids=[resource.pk])
    assert _found(client, "hold-time") == [resource.slug]

    file.delete()
    resource.topics.clear()
    resource_search_index_update(resource_ids=[resource.pk])
    assert _found(client, "hold-time") == []


@pytest.mark.postgres
def test_topic_names_are_searched(client, library):
    assert library["risk"].slug in _found(client, "integrity")


@pytest.mark.postgres
def test_snippets_mark_the_words_found(client, library):
    response = client.get(LIST, {"q": "lyophilisation"})
    (resource,) = response.context["resources"]
    assert "<mark>lyophilisation</mark>" in resource.snippet
    assert "<mark>lyophilisation</mark>" in response.content.decode()


@pytest.mark.postgres
def test_a_snippet_is_cut_around_words_found_far_into_the_content(client, db):
    """Words only in the content, thousands of characters in: the snippet is the window of the
    content around them, not its beginning."""
    resource = ResourceFactory(title="Freeze-drying handbook", summary="A handbook.")
    filler = " ".join(["The chamber pressure is recorded every minute."] * 200)
    ResourceFileFactory(
        resource=resource,
        extracted_text=f"{filler} Primary sublimation removes the frozen solvent. {filler}",
    )
    resource_search_index_update(resource_ids=[resource.pk])
    response = client.get(LIST, {"q": "sublimation"})
    (found,) = response.context["resources"]
    assert "<mark>sublimation</mark> removes the frozen solvent" in found.snippet


@pytest.mark.postgres
def test_rebuild_counts_every_resource(library):
    assert search_index_rebuild() == Resource.objects.count()
    assert not Resource.objects.filter(search_full=None).exists()


@pytest.mark.postgres
def test_very_long_texts_stay_indexable(client, library):
    # More distinct words than a tsvector can hold (1 MB), in scripts of 1 to 3 bytes a
    # character: the texts are cut, the update never fails.
    numbers = " ".join(str(n) for n in range(300_000))
    arabic = " ".join(
        "".join(chr(0x0627 + (n // 30**k) % 30) for k in range(5)) for n in range(150_000)
    )
    chinese = "".join(
        chr(0x4E00 + n % 20_000) + ("\n" if n % 7 == 0 else "") for n in range(400_000)
    )
    resource = library["sterile"]
    ResourceFileFactory(resource=resource, extracted_text="zanzibar " + numbers)
    ResourceFileFactory(resource=resource, language="ar", extracted_text=arabic)
    ResourceFileFactory(resource=resource, language="zh", extracted_text=chinese)
    QAItemFactory(resource=resource, question=arabic[:300_000], answer=chinese[:300_000])
    resource.body = numbers
    resource.save()
    resource_search_index_update(resource_ids=[resource.pk])
    assert _found(client, "zanzibar") == _slugs(library, "sterile")


# --- Plain fallback (SQLite, and the same documents on PostgreSQL) ---------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("integrity", {"integrity", "risk"}),
        ("guidelines technology", {"transfer"}),
        ("lyophilisation", {"transfer"}),
        ("fills", {"qa"}),
        ("cleaning validation", {"sterile", "validation"}),
        ("aseptic", {"sterile"}),
        ("nothingmatchesthis", set()),
    ],
)
def test_plain_words_find_the_same_documents_on_every_database(client, library, query, expected):
    assert set(_found(client, query)) == {library[name].slug for name in expected}


def test_fallback_ranks_title_matches_first(client, library):
    found = _found(client, "integrity")
    assert found[0] == library["integrity"].slug


def test_search_resources_annotates_rank_and_snippet(library, user):
    results = list(
        search_resources(queryset=Resource.objects.published(), query="integrity", user=user)
    )
    assert {r.slug for r in results} == set(_slugs(library, "integrity", "risk"))
    for resource in results:
        assert isinstance(resource.rank, float)
        assert isinstance(resource.snippet, str)


# --- Escaping -------------------------------------------------------------------------------


def test_stored_markup_comes_out_escaped(client, db):
    resource = ResourceFactory(
        title="<script>alert('title')</script> Sterility testing",
        summary="<img src=x onerror=alert('summary')> sterility & more",
    )
    ResourceFileFactory(
        resource=resource,
        extracted_text="<script>alert('file')</script> sterility <b onclick=x()>bold</b>",
    )
    search_index_rebuild()
    response = client.get(LIST, {"q": "sterility"})
    html = response.content.decode()
    assert [r.slug for r in response.context["resources"]] == [resource.slug]
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b onclick" not in html
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Sterility testing" in html
    snippet = response.context["resources"][0].snippet
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")


@pytest.mark.postgres
def test_snippet_markers_cannot_be_forged(client, db):
    resource = ResourceFactory(summary="lpamark start <mark>sterility</mark> stop")
    search_index_rebuild()
    snippet = client.get(LIST, {"q": "sterility"}).context["resources"][0].snippet
    assert snippet.count("<mark>") == 1
    assert resource.summary.startswith("lpamark")


# --- Log ------------------------------------------------------------------------------------


def test_searches_are_logged_without_personal_data(client, library, user):
    client.force_login(user)
    client.get(LIST, {"q": "  Data   INTEGRITY ", "type": "guidance"})
    (logged,) = SearchQuery.objects.all()
    assert logged.query == "data integrity"
    assert logged.results == 2 if connection.vendor == "postgresql" else logged.results >= 1
    assert logged.filters == {"type": "guidance"}
    fields = {field.name for field in SearchQuery._meta.get_fields()}
    assert fields == {"id", "query", "results", "filters", "created_at"}
    assert user.email not in str(logged.__dict__)


def test_only_first_pages_of_real_searches_are_logged(client, library):
    client.get(LIST)
    client.get(LIST, {"q": "   "})
    client.get(LIST, {"type": "guidance"})
    assert SearchQuery.objects.count() == 0
    client.get(LIST, {"q": "integrity", "page": "2"})
    assert SearchQuery.objects.count() == 0
    client.get(LIST, {"q": "integrity", "page": "1"})
    assert SearchQuery.objects.count() == 1


def test_log_keeps_at_most_200_characters(db):
    logged = search_query_log(query="word " * 100, results=0, filters={})
    assert len(logged.query) == 200
    assert search_query_log(query="  ", results=0, filters={}) is None


def test_list_links_to_the_search_page(client, db):
    assert reverse("repository:list") == LIST
