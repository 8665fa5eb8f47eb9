"""Content in WHO's six languages: the source text and a column per translation, entered in the
admin beside the source, shown in the page's language or as the source marked as English."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.content_languages import translated
from events.models import Event, Question
from repository.models import Resource
from tests.factories import (
    EventFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    TopicFactory,
    UserFactory,
)
from tests.repository.test_admin import editor, resource_form  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    """Pages in other languages leave theirs active in the thread: back to the default after."""
    yield
    translation.deactivate()


def test_a_text_shows_in_the_page_language_or_as_the_english_source():
    event = EventFactory(title="Week of Quality", title_fr="Semaine de la qualité")
    with translation.override("fr"):
        title = translated(event, "title")
        assert str(title) == "Semaine de la qualité"
        assert (title.language, title.fallback) == ("fr", False)
        summary = translated(event, "summary")
        assert (str(summary), summary.language, summary.fallback) == (event.summary, "en", True)
    with translation.override("es"):
        assert translated(event, "title").fallback
    with translation.override("en"):
        assert str(translated(event, "title")) == "Week of Quality"
        assert not translated(event, "title").fallback


def test_the_source_is_never_overwritten_by_the_active_language():
    """modeltranslation's own accessor would return and save the French text as `title`."""
    event = EventFactory(title="Week of Quality", title_fr="Semaine de la qualité")
    with translation.override("fr"):
        event = Event.objects.get(pk=event.pk)
        assert event.title == "Week of Quality"
        event.save()
        assert Event.objects.filter(title="Week of Quality").count() == 1
    assert Event.objects.get(pk=event.pk).title_fr == "Semaine de la qualité"


def test_staff_enter_translations_beside_the_source_in_the_admin(editor, six_languages):  # noqa: F811
    response = editor.get(reverse("admin:repository_resource_add"))
    html = response.content.decode()
    # The source first, then each language, marked for the browser and for screen readers.
    assert html.index('name="title"') < html.index('name="title_fr"') < html.index('name="summary"')
    assert 'name="title_ar"' in html and 'dir="rtl"' in html and 'lang="ar"' in html
    assert "Title (français)" in html

    data = resource_form(title_fr="BPF de l’OMS : grands principes", title_es="BPF de la OMS")
    with translation.override("fr"):
        response = editor.post(reverse("admin:repository_resource_add"), data)
    assert response.status_code == 302
    resource = Resource.objects.get(slug=data["slug"])
    assert resource.title == data["title"]
    assert resource.title_fr == "BPF de l’OMS : grands principes"
    assert resource.title_es == "BPF de la OMS"
    assert not resource.title_ru


def test_an_untranslated_field_falls_back_to_the_source_in_every_language():
    resource = ResourceFactory(title="Data integrity", title_zh_hans="数据完整性")
    for language in ("fr", "es", "ar", "ru"):
        with translation.override(language):
            assert str(translated(resource, "title")) == "Data integrity"
    with translation.override("zh-hans"):
        assert str(translated(resource, "title")) == "数据完整性"


# --- Pages ----------------------------------------------------------------------------------------

SIX = [("en", "English"), ("fr", "French"), ("es", "Spanish"), ("ar", "Arabic"), ("ru", "Russian")]
SIX += [("zh-hans", "Chinese")]


@pytest.fixture
def six_languages(settings):
    settings.LANGUAGES = SIX
    return settings


@pytest.fixture
def week_of_quality(db):
    return EventFactory(
        title="Week of Quality 2026",
        title_fr="Semaine de la qualité 2026",
        title_es="Semana de la Calidad 2026",
        summary="Quality standards for manufacturers.",
        description="Good manufacturing practices.",
        description_fr='Bonnes pratiques de **fabrication**. <script>alert("x")</script>',
        programme__name="Week of Quality",
        programme__name_fr="Semaine de la qualité",
    )


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _url(obj, language: str) -> str:
    with translation.override(language):
        return obj.get_absolute_url()


def test_an_event_page_shows_each_text_in_its_language_or_the_source_marked_english(
    client, week_of_quality
):
    html = _page(client, _url(week_of_quality, "fr"))
    assert '<h1 id="event-title">Semaine de la qualité 2026</h1>' in html
    assert '<span lang="en">Quality standards for manufacturers.</span>' in html
    assert "Ce texte n’est pas disponible en français." in html
    # The translated Markdown goes through the sanitiser like the source.
    assert "Bonnes pratiques de <strong>fabrication</strong>." in html
    assert "<script>alert" not in html
    assert "Semaine de la qualité</a>" in html

    english = _page(client, _url(week_of_quality, "en"))
    assert '<h1 id="event-title">Week of Quality 2026</h1>' in english
    assert 'lang="en">Quality' not in english and "not available" not in english


def test_every_language_gets_its_translation_or_the_note_in_its_own_words(
    client, six_languages, week_of_quality
):
    spanish = _page(client, _url(week_of_quality, "es"))
    assert "Semana de la Calidad 2026" in spanish
    assert "Este texto no está disponible en español." in spanish
    arabic = _page(client, _url(week_of_quality, "ar"))
    assert '<span lang="en">Week of Quality 2026</span>' in arabic
    assert "هذا النص غير متاح باللغة العربيّة." in arabic


def test_lists_cards_and_resource_pages_show_translations(client):
    EventFactory(title="Data integrity training", title_fr="Formation à l’intégrité des données")
    resource = ResourceFactory(
        title="Good manufacturing practices: main principles",
        title_fr="Bonnes pratiques de fabrication : grands principes",
        summary="The main principles.",
        summary_fr="Les grands principes.",
    )
    assert "Formation à l’intégrité des données" in _page(client, "/fr/events/")
    listing = _page(client, "/fr/resources/")
    assert "Bonnes pratiques de fabrication : grands principes" in listing
    detail = _page(client, _url(resource, "fr"))
    assert "<title>Bonnes pratiques de fabrication : grands principes" in detail
    assert '<p class="lead">Les grands principes.</p>' in detail
    assert "pas disponible" not in detail.split("resource__files")[0]


def test_translations_cost_no_query(client, django_assert_num_queries):
    for number in range(12):
        EventFactory(title=f"Training {number}", title_fr=f"Formation {number}")
    with CaptureQueriesContext(connection) as english:
        client.get("/en/events/")
    with django_assert_num_queries(len(english)):
        assert "Formation 11" in _page(client, "/fr/events/")


def test_kept_parts_and_cached_pages_are_kept_per_language(client, settings, week_of_quality):
    settings.FRAGMENT_CACHE_SECONDS = 120
    settings.PAGE_CACHE_SECONDS = 60
    for _ in range(2):
        assert "Week of Quality 2026</h1>" in _page(client, _url(week_of_quality, "en"))
        assert "Semaine de la qualité 2026</h1>" in _page(client, _url(week_of_quality, "fr"))
    assert client.get(_url(week_of_quality, "fr"))["X-Page-Cache"] == "hit"


def test_registration_questions_in_the_page_language_answers_kept_in_the_source(
    client, django_capture_on_commit_callbacks
):
    event = EventFactory(capacity=10)
    question = Question.objects.create(
        event=event,
        label="Which sessions will you attend?",
        label_fr="À quelles sessions assisterez-vous ?",
        kind="multiple_choice",
        choices="Morning\nAfternoon",
        choices_fr="Matin\nAprès-midi",
    )
    client.force_login(UserFactory())
    html = _page(client, _url(event, "fr"))
    assert "À quelles sessions assisterez-vous ?" in html
    assert 'value="Afternoon"' in html and "Après-midi" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(event, "fr"), {f"q{question.pk}": ["Afternoon"], "consent": "on"}
        )
    assert response.status_code == 302
    answer = event.registrations.get().answers[str(question.pk)]
    assert answer == {"question": "Which sessions will you attend?", "answer": ["Afternoon"]}


def test_topics_in_filters_and_on_their_page_are_translated_at_no_query(
    client, django_assert_max_num_queries
):
    broad = TopicFactory(name="Quality systems", name_fr="Systèmes qualité", slug="quality")
    for number in range(8):
        TopicFactory(name=f"Narrower {number}", name_fr=f"Plus précis {number}", parent=broad)
    ResourceFactory().topics.add(broad)
    EventFactory().topics.add(broad)
    assert "Systèmes qualité" in _page(client, "/fr/resources/")
    assert "Systèmes qualité" in _page(client, "/fr/events/")
    with CaptureQueriesContext(connection) as english:
        _page(client, "/en/topics/quality/")
    with django_assert_max_num_queries(len(english)):
        html = _page(client, "/fr/topics/quality/")
    assert "<h1>Systèmes qualité</h1>" in html and "Plus précis 7" in html


def test_a_resource_page_offers_the_file_in_its_language_first(client, six_languages):
    resource = ResourceFactory(title="Data integrity", title_es="Integridad de los datos")
    for language, title in [("en", "Guideline"), ("fr", "Ligne directrice"), ("es", "Guía")]:
        ResourceFileFactory(resource=resource, language=language, title=title)

    def files_in_order(language):
        html = _page(client, _url(resource, language))
        return sorted(["Guideline", "Ligne directrice", "Guía"], key=html.index)

    assert files_in_order("es") == ["Guía", "Guideline", "Ligne directrice"]
    assert files_in_order("fr") == ["Ligne directrice", "Guideline", "Guía"]
    # Otherwise in the order staff gave them (here by language code).
    assert files_in_order("en") == ["Guideline", "Guía", "Ligne directrice"]
    assert files_in_order("ru") == ["Guideline", "Guía", "Ligne directrice"]


def test_translated_choices_need_a_line_for_each_choice():
    event = EventFactory()
    question = Question(
        event=event, label="Role", kind="single_choice", choices="Manufacturer\nRegulator"
    )
    question.choices_fr = "Fabricant"
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert list(error.value.message_dict) == ["choices_fr"]
    question.choices_fr = "Fabricant\nAutorité de réglementation"
    question.full_clean()


def test_the_event_admin_has_translations_of_the_event_its_sessions_and_questions(
    client, six_languages
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    event = EventFactory()
    SessionFactory(event=event)
    Question.objects.create(event=event, label="Role", kind="short_text")
    html = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    for name in ("title_fr", "venue_ar", "sessions-0-title_zh_hans", "questions-0-label_es"):
        assert f'name="{name}"' in html, name


def test_the_agenda_says_when_session_titles_are_not_translated(client, week_of_quality):
    SessionFactory(event=week_of_quality, title="Specifications", title_fr="Spécifications")
    html = _page(client, _url(week_of_quality, "fr"))
    agenda = html.split('id="agenda-heading"')[1]
    assert "Spécifications" in agenda and "pas disponible" not in agenda.split("</ol>")[0]
    other = EventFactory()
    SessionFactory(event=other, title="Stability testing")
    agenda = _page(client, _url(other, "fr")).split('id="agenda-heading"')[1]
    assert "Ce texte n’est pas disponible en français." in agenda
    assert '<span lang="en">Stability testing</span>' in agenda


def test_an_untitled_file_is_called_by_the_resource_title_in_its_language(client, six_languages):
    resource = ResourceFactory(title="Data integrity", title_es="Integridad de los datos")
    ResourceFileFactory(resource=resource, language="es", title="")
    ResourceFileFactory(resource=resource, language="ar", title="")
    html = _page(client, _url(resource, "en"))
    assert 'lang="es">Integridad de los datos</a>' in html
    # No Arabic title: the English one, said to be English.
    assert 'lang="en">Data integrity</a>' in html


def test_the_admin_asks_only_for_the_languages_the_site_offers(client, settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "French")]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    resource = ResourceFactory(title="Data integrity", title_ar="سلامة البيانات")
    url = reverse("admin:repository_resource_change", args=[resource.pk])
    html = client.get(url).content.decode()
    assert 'name="title_fr"' in html and 'name="title_ar"' not in html


def test_structured_data_names_the_event_and_resource_as_the_page_does(client, week_of_quality):
    html = _page(client, _url(week_of_quality, "fr"))
    assert '"name": "Semaine de la qualité 2026"' in html
    resource = ResourceFactory(title="Data integrity", title_fr="Intégrité des données")
    assert '"name": "Intégrité des données"' in _page(client, _url(resource, "fr"))
