"""The public pages: present in every language, accessible markup, bounded queries."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["home", "about", "privacy", "accessibility", "contact"]
LANGUAGES = ["en", "fr", "es", "ar", "ru", "zh-hans"]
# The main navigation's "Events" in each language, as its catalogue has it.
EVENTS = {
    "en": "Events",
    "fr": "Événements",
    "es": "Eventos",
    "ar": "الفعاليات",
    "ru": "Мероприятия",
    "zh-hans": "活动",
}


def _url(name, language):
    with translation.override(language):
        return reverse(name)


@pytest.mark.parametrize("name", PUBLIC_PAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_render_in_each_language(client, name, language):
    url = _url(name, language)
    assert url.startswith(f"/{language}/")
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}"' in html
    assert f">{EVENTS[language]}</a>" in html  # the navigation in the page's language
    assert 'href="#main"' in html  # skip link
    assert '<main id="main"' in html
    assert html.count("<h1") == 1


def test_root_redirects_to_a_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response.status_code == 302
    assert response["Location"] == "/fr/"


def test_language_switcher_links_to_the_same_page(client):
    html = client.get(_url("about", "en")).content.decode()
    for language in LANGUAGES[1:]:
        assert f'href="/{language}/about/"' in html
        assert f'hreflang="{language}"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_language_read_last_is_remembered_in_a_cookie(client, language):
    client.get(_url("about", "es" if language == "en" else "en"))
    response = client.get(_url("about", language))
    assert response.cookies["django_language"].value == language
    assert response.cookies["django_language"]["samesite"] == "Lax"
    # The address without a language opens in it, whatever the browser asks for.
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response["Location"] == f"/{language}/"
    # Once remembered, pages do not set it again.
    assert "django_language" not in client.get(_url("home", language)).cookies


def test_a_missing_page_does_not_change_the_language_remembered(client):
    client.get(_url("about", "es"))
    assert "django_language" not in client.get("/ru/no-such-page/").cookies
    assert client.get("/")["Location"] == "/es/"


@pytest.mark.parametrize("language", LANGUAGES)
def test_signing_in_leads_to_the_language_of_the_profile(client, language):
    UserFactory(email="reader@example.org", preferred_language=language)
    response = client.post(
        _url("account_login", "en"),
        {"login": "reader@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"/{language}/")


def test_french_pages_are_translated(client):
    html = client.get(_url("about", "fr")).content.decode()
    assert "Marathon" in html
    assert "Événements" in html or "À propos" in html


def test_header_shows_account_links_for_the_signed_in(client):
    anonymous = client.get(_url("home", "en")).content.decode()
    assert reverse("account_login") in anonymous
    client.force_login(UserFactory())
    signed_in = client.get(_url("home", "en")).content.decode()
    assert reverse("accounts:overview") in signed_in
    assert reverse("account_logout") in signed_in


def test_about_page_describes_the_four_strands(client):
    html = client.get(_url("about", "en")).content.decode()
    for strand in ("Virtual cGMP Training Marathon", "Week of Quality", "Regional", "repository"):
        assert strand in html


def test_not_found_page(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert '<main id="main"' in response.content.decode()


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_query_counts(client, django_assert_max_num_queries, name):
    UserFactory.create_batch(20)
    # The home page reads the programmes with their next edition, the next events and the
    # latest resources; the About page the programmes with their next edition; the others
    # read nothing.
    with django_assert_max_num_queries({"home": 4, "about": 2}.get(name, 0)):
        client.get(_url(name, "en"))


def test_my_account_query_count(client, django_assert_max_num_queries):
    UserFactory.create_batch(20)
    client.force_login(UserFactory())
    with django_assert_max_num_queries(3):  # session, user, and nothing that grows
        response = client.get(reverse("accounts:overview"))
    assert response.status_code == 200


def test_sitemap_lists_public_events_in_every_language(client):
    from tests.factories import EventFactory

    EventFactory(slug="public-event")
    EventFactory(slug="secret-draft", status="draft")
    xml = client.get("/sitemap.xml").content.decode()
    assert "/en/events/public-event/" in xml and "/fr/events/public-event/" in xml
    assert "secret-draft" not in xml
    assert 'hreflang="fr"' in xml
