"""Search in every language: translated titles, summaries and topics are found by a search in
the page's language, with its own stemmer on PostgreSQL (pairs of characters for Chinese), and
by plain matching on SQLite; events likewise."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import translation

from repository.search import cjk_bigrams, search_index_rebuild, search_resources
from tests.factories import EventFactory, ResourceFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    """Pages in other languages leave theirs active in the thread: back to the default after."""
    yield
    translation.deactivate()


SIX = [("en", "English"), ("fr", "French"), ("es", "Spanish"), ("ar", "Arabic"), ("ru", "Russian")]
SIX += [("zh-hans", "Chinese")]


@pytest.fixture(autouse=True)
def _six_languages(settings):
    settings.LANGUAGES = SIX


@pytest.fixture
def library(db):
    docs = {
        "gmp": ResourceFactory(
            title="WHO good manufacturing practices for pharmaceutical products: main principles",
            title_fr="Bonnes pratiques de fabrication de l’OMS pour les produits pharmaceutiques",
            title_es="Buenas prácticas de fabricación de la OMS para productos farmacéuticos",
            title_ar="ممارسات التصنيع الجيدة لمنظمة الصحة العالمية للمستحضرات الصيدلانية",
            title_ru="Надлежащая производственная практика ВОЗ для фармацевтической продукции",
            title_zh_hans="世卫组织药品良好生产规范：主要原则",
            summary="The main principles of GMP.",
        ),
        "integrity": ResourceFactory(
            title="Guideline on data integrity",
            title_fr="Ligne directrice sur l’intégrité des données",
            summary="Records and data in regulated activities.",
            summary_es="Registros y datos en las actividades reguladas.",
            title_zh_hans="数据完整性指南",
        ),
        "water": ResourceFactory(title="Water for pharmaceutical use"),
    }
    cold = TopicFactory(name="Cold chain", name_fr="Chaîne du froid", slug="cold-chain")
    docs["water"].topics.add(cold)
    search_index_rebuild()
    return docs


def found(query: str, language: str) -> list[str]:
    with translation.override(language):
        results = search_resources(
            queryset=ResourceFactory._meta.model.objects.all(), query=query, user=AnonymousUser()
        )
        return sorted(resource.title for resource in results)


def test_chinese_is_searched_as_pairs_of_characters():
    assert cjk_bigrams("数据完整性") == "数据 据完 完整 整性"
    assert cjk_bigrams("GMP 规范，药") == "规范 药"


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("fabrication", "fr", "gmp"),
        ("intégrité des données", "fr", "integrity"),
        ("integrite", "fr", "integrity"),
        ("Buenas prácticas de fabricación", "es", "gmp"),
        ("actividades reguladas", "es", "integrity"),
        ("ممارسات التصنيع الجيدة", "ar", "gmp"),
        ("производственная практика", "ru", "gmp"),
        ("完整性", "zh-hans", "integrity"),
        ("生产规范", "zh-hans", "gmp"),
        ("chaîne du froid", "fr", "water"),
    ],
)
def test_a_search_in_the_page_language_finds_the_translation(library, query, language, expected):
    assert found(query, language) == [library[expected].title]


def test_english_words_still_find_the_source_on_every_page(library):
    for language in ("en", "fr", "zh-hans"):
        assert found("integrity", language) == ["Guideline on data integrity"]


def test_the_list_page_in_french_finds_the_french_title(client, library):
    html = client.get("/fr/resources/", {"q": "bonnes pratiques de fabrication"}).content.decode()
    assert "Bonnes pratiques de fabrication de l’OMS" in html
    assert "Ligne directrice sur l’intégrité" not in html


def test_events_are_found_by_their_translated_titles(client):
    EventFactory(
        title="Week of Quality", title_fr="Semaine de la qualité", title_es="Semana de la Calidad"
    )
    EventFactory(title="Aseptic processing", title_fr="Traitement aseptique")
    html = client.get("/fr/events/", {"q": "qualité"}).content.decode()
    assert "Semaine de la qualité" in html and "Traitement aseptique" not in html
    html = client.get("/es/events/", {"q": "calidad"}).content.decode()
    assert "Semana de la Calidad" in html and "Aseptic processing" not in html


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        # Stemmed in each language: plural and singular, verb forms.
        ("bonne pratique", "fr", "gmp"),
        ("producto farmacéutico", "es", "gmp"),
        ("производственной практики", "ru", "gmp"),
        ("ممارسات التصنيع", "ar", "gmp"),
        ("规范", "zh-hans", "gmp"),
        ("数据完整", "zh-hans", "integrity"),
    ],
)
def test_postgres_stems_each_language_with_its_own_configuration(
    library, query, language, expected
):
    assert found(query, language) == [library[expected].title]


@pytest.mark.postgres
def test_postgres_ranks_a_translated_title_as_a_title(library):
    ResourceFactory(title="Other", summary="Guidance on fabrication lines.")
    search_index_rebuild()
    with translation.override("fr"):
        results = list(
            search_resources(
                queryset=ResourceFactory._meta.model.objects.all(),
                query="fabrication",
                user=AnonymousUser(),
            ).order_by("-rank")
        )
    assert results[0].title == library["gmp"].title


def test_a_result_shows_its_translated_summary_or_the_snippet_marked_english(client, library):
    html = client.get("/es/resources/", {"q": "actividades"}).content.decode()
    assert "Registros y datos en las actividades reguladas." in html
    html = client.get("/fr/resources/", {"q": "intégrité"}).content.decode()
    assert '<p class="resource-card__snippet" lang="en">' in html


@pytest.mark.postgres
def test_a_topic_translated_in_the_admin_finds_its_resources_in_that_language(
    client, library, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    topic = TopicFactory(name="Equipment qualification", slug="equipment-qualification")
    library["water"].topics.add(topic)
    search_index_rebuild()
    assert found("matériel", "fr") == []
    data = {"name": topic.name, "slug": topic.slug, "parent": "", "description": "", "order": 0}
    data["name_fr"] = "Qualification du matériel"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:repository_topic_change", args=[topic.pk]), data)
    assert response.status_code == 302
    assert found("matériel", "fr") == [library["water"].title]
