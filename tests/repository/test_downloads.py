"""Downloads: who may open which file, how downloads are counted (no IP kept), how files are
sent, and a fixed number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from repository.models import DownloadEvent, Resource
from tests.factories import SMALL_PDF, ResourceFactory, ResourceFileFactory, UserFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"
IP = "203.0.113.7"
VISITORS = ["anonymous", "registered", "regulator", "staff"]


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def url(resource_file, slug=None) -> str:
    return reverse(
        "repository:download",
        kwargs={"slug": slug or resource_file.resource.slug, "file_id": resource_file.pk},
    )


def get(client, resource_file, *, ip=IP, agent=BROWSER, **kwargs):
    return client.get(url(resource_file), REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, **kwargs)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def visit(client):
    def sign_in(visitor: str):
        if visitor == "registered":
            client.force_login(UserFactory())
        elif visitor == "regulator":
            client.force_login(
                UserFactory(organisation_type="regulator", is_verified_regulator=True)
            )
        elif visitor == "staff":
            client.force_login(UserFactory(is_staff=True))
        return client

    return sign_in


# --- Who may open what -------------------------------------------------------------------------

RESOURCES = {
    "public": {},
    "registered": {"access_level": 1},
    "regulators": {"access_level": 2},
    "embargoed": {"embargo_until": timezone.now() + timedelta(days=10)},
    "draft": {"status": "draft"},
    "in review": {"status": "in_review"},
    "withdrawn": {"status": "withdrawn"},
    "restricted draft": {"status": "draft", "access_level": 2},
}
# resource -> expected status for anonymous, registered, regulator, staff
EXPECTED = {
    "public": (200, 200, 200, 200),
    "registered": (302, 200, 200, 200),
    "regulators": (302, 403, 200, 200),
    "embargoed": (404, 404, 404, 200),
    "draft": (404, 404, 404, 200),
    "in review": (404, 404, 404, 200),
    "withdrawn": (404, 404, 404, 200),
    "restricted draft": (404, 404, 404, 200),
}


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("resource_name", RESOURCES)
def test_access_matrix(visit, resource_name, visitor):
    resource_file = ResourceFileFactory(resource=ResourceFactory(**RESOURCES[resource_name]))
    client = visit(visitor)
    response = get(client, resource_file)
    assert response.status_code == EXPECTED[resource_name][VISITORS.index(visitor)]
    if response.status_code == 200:
        assert body(response) == SMALL_PDF
    if response.status_code == 302:
        login = reverse("account_login")
        assert response["Location"] == f"{login}?next={url(resource_file)}"


def test_the_403_page_says_why(visit):
    resource_file = ResourceFileFactory(resource=ResourceFactory(access_level=2))
    response = get(visit("registered"), resource_file)
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only verified regulators and WHO staff can open this file." in html
    assert not DownloadEvent.objects.exists()


def test_a_file_of_another_resource_is_404(client):
    resource_file = ResourceFileFactory()
    other = ResourceFactory()
    assert client.get(url(resource_file, slug=other.slug)).status_code == 404
    assert client.get(url(resource_file, slug="no-such-resource")).status_code == 404


def test_a_file_missing_from_storage_is_404(client):
    resource_file = ResourceFileFactory()
    resource_file.file.storage.delete(resource_file.file.name)
    assert get(client, resource_file).status_code == 404


def test_only_reading_methods_are_allowed(client):
    resource_file = ResourceFileFactory()
    assert client.post(url(resource_file)).status_code == 405


# --- How files are sent ------------------------------------------------------------------------


def test_a_public_file_is_streamed_as_an_attachment(client):
    resource_file = ResourceFileFactory(resource=ResourceFactory(slug="gmp-main-principles"))
    response = get(client, resource_file)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(SMALL_PDF))
    assert response["Content-Disposition"] == 'attachment; filename="gmp-main-principles-en.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-cache, no-transform"
    assert body(response) == SMALL_PDF


def test_a_restricted_file_is_not_kept_by_shared_caches(visit):
    resource_file = ResourceFileFactory(resource=ResourceFactory(access_level=1))
    response = get(visit("registered"), resource_file)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache, no-transform"


def test_a_staff_preview_is_not_kept_by_shared_caches(visit):
    resource_file = ResourceFileFactory(resource=ResourceFactory(status="draft"))
    response = get(visit("staff"), resource_file)
    assert response["Cache-Control"] == "private, no-cache, no-transform"


def test_behind_nginx_the_web_server_sends_the_file(client, settings):
    settings.DOWNLOAD_SENDFILE_HEADER = "X-Accel-Redirect"
    settings.DOWNLOAD_INTERNAL_PREFIX = "/protected-media/"
    resource_file = ResourceFileFactory(resource=ResourceFactory(slug="gmp"), language="fr")
    response = get(client, resource_file)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{resource_file.file.name}"
    assert response.content == b""
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="gmp-fr.pdf"'
    assert response["Cache-Control"] == "private, no-cache, no-transform"
    assert Resource.objects.get().download_count == 1


def test_with_x_sendfile_the_web_server_gets_the_storage_path(client, settings):
    settings.DOWNLOAD_SENDFILE_HEADER = "X-Sendfile"
    resource_file = ResourceFileFactory()
    response = get(client, resource_file)
    assert response["X-Sendfile"] == resource_file.file.storage.path(resource_file.file.name)
    assert response.content == b""


def test_an_external_link_is_a_counted_redirect(client):
    resource_file = ResourceFileFactory(link=True)
    response = get(client, resource_file)
    assert response.status_code == 302
    assert response["Location"] == "https://www.who.int/publications/i/item/example"
    assert DownloadEvent.objects.filter(file=resource_file).count() == 1


def test_an_external_link_of_a_restricted_resource_needs_the_level(client):
    resource_file = ResourceFileFactory(link=True, resource=ResourceFactory(access_level=1))
    response = get(client, resource_file)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Counting ----------------------------------------------------------------------------------


def test_downloads_are_counted_once_per_visitor_and_day(client):
    resource_file = ResourceFileFactory()
    resource = resource_file.resource
    assert get(client, resource_file).status_code == 200
    assert get(client, resource_file).status_code == 200  # a repeat: not counted
    resource.refresh_from_db()
    assert resource.download_count == 1
    # Another visitor is counted.
    get(client, resource_file, ip="198.51.100.20")
    # Same address, other browser: the same visitor (tests/security/test_downloads_attacks.py).
    get(client, resource_file, agent="Mozilla/5.0 (Macintosh) Safari/605.1.15")
    resource.refresh_from_db()
    assert resource.download_count == 2
    assert DownloadEvent.objects.count() == 2


def test_a_download_the_next_day_counts_again(client, monkeypatch):
    from django.core.cache import cache

    resource_file = ResourceFileFactory()
    get(client, resource_file)
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    cache.clear()  # the cache entry would have expired too
    get(client, resource_file)
    assert Resource.objects.get().download_count == 2


def test_the_repeat_rule_holds_without_the_cache(client):
    """Several processes share the database, not necessarily the cache."""
    from django.core.cache import cache

    resource_file = ResourceFileFactory()
    get(client, resource_file)
    cache.clear()
    get(client, resource_file)
    assert Resource.objects.get().download_count == 1


def test_another_file_of_the_same_resource_counts(client):
    resource_file = ResourceFileFactory()
    other = ResourceFileFactory(resource=resource_file.resource, language="fr")
    get(client, resource_file)
    get(client, other)
    assert Resource.objects.get().download_count == 2


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0)",
        "Mozilla/5.0 (compatible; SemrushCrawler/1.0)",
    ],
)
def test_crawlers_and_link_previews_are_not_counted(client, agent):
    resource_file = ResourceFileFactory()
    assert get(client, resource_file, agent=agent).status_code == 200
    assert Resource.objects.get().download_count == 0
    assert not DownloadEvent.objects.exists()


@pytest.mark.parametrize(
    "agent",
    [
        "curl/8.5.0",
        "Wget/1.21.4",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/126.0 Safari/537.36",
    ],
)
def test_command_line_tools_and_headless_browsers_are_counted(client, agent):
    get(client, ResourceFileFactory(), agent=agent)
    assert Resource.objects.get().download_count == 1


def test_a_head_request_is_not_counted(client):
    resource_file = ResourceFileFactory()
    assert client.head(url(resource_file), REMOTE_ADDR=IP).status_code == 200
    assert Resource.objects.get().download_count == 0


def test_staff_previews_of_unpublished_resources_are_not_counted(visit):
    resource_file = ResourceFileFactory(resource=ResourceFactory(status="draft"))
    assert get(visit("staff"), resource_file).status_code == 200
    assert Resource.objects.get().download_count == 0


def test_signed_in_downloads_keep_region_and_organisation_type_not_the_person(client):
    person = UserFactory(country="NP", organisation_type="regulator")
    client.force_login(person)
    get(client, ResourceFileFactory())
    event = DownloadEvent.objects.get()
    assert (event.who_region, event.organisation_type) == ("SEARO", "regulator")
    assert not [f for f in DownloadEvent._meta.get_fields() if f.name in ("user", "ip")]


def test_no_ip_address_is_stored(client):
    get(client, ResourceFileFactory())
    get(client, ResourceFileFactory(), ip="2001:db8::1")
    for row in DownloadEvent.objects.values():
        stored = " ".join(str(value) for value in row.values())
        assert IP not in stored and "2001:db8::1" not in stored
        assert len(row["visitor_hash"]) == 64


def test_the_page_shows_the_counted_downloads(client):
    resource_file = ResourceFileFactory()
    # Ten visitors: the public sees counts from ten on (Resource.DOWNLOADS_SHOWN_FROM).
    for number in range(10):
        get(client, resource_file, ip=f"198.51.100.{number}")
    get(client, resource_file, ip="198.51.100.0")  # a repeat
    resource = Resource.objects.get()
    assert resource.download_count == DownloadEvent.objects.count() == 10
    html = client.get(resource.get_absolute_url()).content.decode()
    assert "Downloaded 10 times" in html


# --- Queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("visitor", ["anonymous", "regulator"])
def test_the_number_of_queries_is_fixed(visit, django_assert_num_queries, visitor):
    few = ResourceFileFactory(
        resource=ResourceFactory(access_level=1 if visitor != "anonymous" else 0)
    )
    client = visit(visitor)
    # Sessions and the signed-in user: two queries more than for an anonymous visitor.
    expected = 6 if visitor == "anonymous" else 8
    with django_assert_num_queries(expected):
        get(client, few)
    for _ in range(20):
        resource = ResourceFactory(access_level=few.resource.access_level)
        for language in ("en", "fr", "es"):
            ResourceFileFactory(resource=resource, language=language)
    many = ResourceFileFactory(resource=resource, language="ar")
    with django_assert_num_queries(expected):
        get(client, many)
    # A repeat found in the cache: no counting queries at all.
    with django_assert_num_queries(expected - 5):
        get(client, many)
