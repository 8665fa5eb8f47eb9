"""Content in WHO's six languages: the source text and a column per translation, entered in the
admin beside the source, shown in the page's language or as the source marked as English."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.content_languages import translated
from events.models import Event
from repository.models import Resource
from tests.factories import EventFactory, ResourceFactory
from tests.repository.test_admin import editor, resource_form  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


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


def test_staff_enter_translations_beside_the_source_in_the_admin(editor):  # noqa: F811
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
