"""Attack 5 of the outside review: `GET //evil.example/en/` rendered a 404 whose language links
were `href="//evil.example/fr/"`, which browsers follow to another host."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["//evil.example/en/", "///evil.example/en/", "/\\evil.example/en/", "//evil.example/"]
)
def test_language_links_are_always_paths_on_this_site(client, path):
    response = client.get(path)
    if response.status_code == 302:  # to the language prefix, on this site
        assert response["Location"].startswith("/")
        assert not response["Location"].startswith(("//", "/\\"))
        response = client.get(path + "en/")
    html = response.content.decode()
    links = re.findall(r'<a href="([^"]*)" hreflang=', html)
    alternates = re.findall(r'<link rel="alternate" hreflang="[^"]+" href="([^"]*)"', html)
    assert links, "the page has its language links"
    for link in links:
        assert link.startswith("/") and not link.startswith(("//", "/\\"))
    for alternate in alternates:
        assert alternate.startswith("http://testserver/")


def test_language_links_of_a_normal_page_still_translate_the_path(client):
    html = client.get("/en/events/?region=AFRO").content.decode()
    assert 'href="/fr/events/?region=AFRO" hreflang="fr"' in html
