"""Attacks 7, 9 and 10 of the outside review, on repository files.

7. Download counts were inflated by changing the User-Agent: a download now counts once per
   file, visitor and day, where a visitor is the signed-in person or the address (IPv6 by /64).
9. Files were reachable by their storage path (`/media/resources/<uuid>/<name>.pdf` served
   regulator-only, draft and embargoed files with DEBUG on): protected files now live in their
   own storage, outside MEDIA_ROOT, that nothing serves by path.
10. Public downloads were cacheable by shared caches for an hour, so a withdrawn or restricted
   file kept being served: every download is `private` and revalidated.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import clear_url_caches, reverse
from django.utils import timezone

from repository.models import DownloadEvent, Resource
from tests.factories import ResourceFactory, ResourceFileFactory, UserFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def _download(client, resource_file, *, ip=IP, agent="Mozilla/5.0 Firefox/128.0"):
    url = reverse(
        "repository:download",
        kwargs={"slug": resource_file.resource.slug, "file_id": resource_file.pk},
    )
    return client.get(url, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)


# --- 7. Counting ------------------------------------------------------------------------------


def test_changing_the_user_agent_does_not_count_again(client):
    resource_file = ResourceFileFactory()
    for number in range(30):
        assert _download(client, resource_file, agent=f"Browser/{number}.0").status_code == 200
    assert Resource.objects.get().download_count == 1
    assert DownloadEvent.objects.count() == 1


def test_an_ipv6_visitor_is_one_visitor_across_its_64_network(client):
    resource_file = ResourceFileFactory()
    for address in (
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:dead:beef:0:1",
        "2001:db8:1:2:ffff:ffff:ffff:ffff",
    ):
        _download(client, resource_file, ip=address)
    assert Resource.objects.get().download_count == 1
    _download(client, resource_file, ip="2001:db8:1:3::1")  # another network
    assert Resource.objects.get().download_count == 2


def test_a_signed_in_person_counts_once_from_any_address(client):
    resource_file = ResourceFileFactory()
    client.force_login(UserFactory())
    for number in range(5):
        _download(client, resource_file, ip=f"198.51.100.{number}", agent=f"Agent {number}")
    assert Resource.objects.get().download_count == 1


def test_other_visitors_and_the_next_day_count(client, monkeypatch):
    resource_file = ResourceFileFactory()
    _download(client, resource_file)
    _download(client, resource_file, ip="198.51.100.20")
    assert Resource.objects.get().download_count == 2
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    _download(client, resource_file)
    assert Resource.objects.get().download_count == 3


# --- 9. Storage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"access_level": 2},
        {"status": "draft"},
        {"embargo_until": timezone.now() + timedelta(days=9)},
        {"status": "withdrawn"},
    ],
)
def test_a_protected_file_is_not_reachable_by_its_storage_path(client, fields):
    resource_file = ResourceFileFactory(resource=ResourceFactory(**fields))
    name = resource_file.file.name
    stored = settings.PROTECTED_MEDIA_ROOT / name
    assert stored.is_file()
    assert not (settings.MEDIA_ROOT / name).exists()
    # With DEBUG on, as `make run` serves: /media/ holds only public images.
    with override_settings(DEBUG=True):
        clear_url_caches()
        import importlib

        import lpa_portal.urls

        importlib.reload(lpa_portal.urls)
        try:
            # What /media/ does serve: public images (so that the 404s below mean something).
            banner = settings.MEDIA_ROOT / "events" / "banner.png"
            banner.parent.mkdir(parents=True, exist_ok=True)
            banner.write_bytes(b"public image")
            assert client.get(f"{settings.MEDIA_URL}events/banner.png").status_code == 200
            for path in (f"{settings.MEDIA_URL}{name}", f"/protected-media/{name}", f"/{name}"):
                response = client.get(path)
                assert response.status_code == 404, path
        finally:
            importlib.reload(lpa_portal.urls)
            clear_url_caches()


def test_protected_files_have_no_url():
    resource_file = ResourceFileFactory()
    with pytest.raises(ValueError):
        resource_file.file.url  # noqa: B018


def test_public_images_stay_in_the_public_storage():
    from django.core.files.storage import default_storage, storages

    from events.models import Event

    assert Event._meta.get_field("banner").storage is default_storage
    assert (
        Resource._meta.get_field("files").related_model._meta.get_field("file").storage
        is storages["protected"]
    )
    assert settings.PROTECTED_MEDIA_ROOT != settings.MEDIA_ROOT


# --- 10. Caching ------------------------------------------------------------------------------


def test_no_download_is_kept_by_a_shared_cache(client):
    resource_file = ResourceFileFactory()
    response = _download(client, resource_file)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "private" in cache_control and "no-cache" in cache_control
    assert "public" not in cache_control
    assert not any(part.startswith(("max-age", "s-maxage")) for part in cache_control)


def test_a_changed_access_level_takes_effect_at_once(client):
    resource_file = ResourceFileFactory()
    assert _download(client, resource_file).status_code == 200
    Resource.objects.update(access_level=2)
    response = _download(client, resource_file)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    Resource.objects.update(access_level=0, status="withdrawn")
    assert _download(client, resource_file).status_code == 404
