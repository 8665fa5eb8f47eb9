"""The repository's files in a private bucket of an S3-compatible object store (django-storages'
S3 backend with boto3, as production runs it), and the store going away: downloads answer a
clear 503 page, uploads are refused with a clear message and leave no row and no object; when
the store is back, everything works.

A real S3 server (moto's standalone server) on a free port, stopped and started again.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from repository.models import Resource, ResourceFile
from repository.services import resource_file_add
from tests.factories import ResourceFactory, UserFactory
from tests.reliability.servers import object_store
from tests.repository.test_admin import resource_form, with_file
from tests.repository.test_uploads import pdf_bytes

pytestmark = pytest.mark.django_db

S3 = "storages.backends.s3.S3Storage"
PROTECTED = "lpa-test-protected"
PUBLIC = "lpa-test-public"
REFUSED = "The file store cannot be reached at the moment, so the file was not saved."
FILES_UNAVAILABLE = "Files are briefly unavailable"


def _client(store):
    return boto3.client(
        "s3",
        endpoint_url=store.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test-secret",
        config=Config(s3={"addressing_style": "path"}),
    )


def _make_buckets(store) -> None:
    for bucket in (PROTECTED, PUBLIC):
        _client(store).create_bucket(Bucket=bucket)


def _objects(store, bucket=PROTECTED) -> list[str]:
    listed = _client(store).list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.fixture
def store(settings, tmp_path, monkeypatch):
    """A private bucket of a real S3 server as the storage of the repository's files."""
    server = object_store(tmp_path)
    _make_buckets(server)
    common = {
        "endpoint_url": server.url,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test-secret",
        "file_overwrite": False,
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=1,
            read_timeout=2,
            retries={"max_attempts": 1},
        ),
    }
    protected = storages.create_storage(
        {
            "BACKEND": S3,
            "OPTIONS": {
                **common,
                "bucket_name": PROTECTED,
                "querystring_auth": True,
                "querystring_expire": 60,
            },
        }
    )
    # The "protected" storage is the private bucket, as the settings make it in a deployment
    # (the file field takes it when the models load, as a deployment does at start-up).
    monkeypatch.setitem(storages._storages, "protected", protected)
    monkeypatch.setattr(ResourceFile._meta.get_field("file"), "storage", protected)
    settings.DOWNLOAD_SENDFILE_HEADER = ""
    yield server
    server.stop()


def _upload(resource, content: bytes):
    return resource_file_add(
        resource=resource,
        file=SimpleUploadedFile("guide.pdf", content, content_type="application/pdf"),
        language="en",
    )


@pytest.fixture
def pdf():
    # Made once: a PDF holds the time it was made.
    return pdf_bytes("Quality risk management")


def _download_url(resource_file) -> str:
    return reverse(
        "repository:download",
        kwargs={"slug": resource_file.resource.slug, "file_id": resource_file.pk},
    )


def test_files_go_to_the_private_bucket_and_are_streamed_back(client, store, pdf):
    resource_file = _upload(ResourceFactory(), pdf)

    assert _objects(store) == [resource_file.file.name]
    response = client.get(_download_url(resource_file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf


def test_behind_nginx_the_download_is_a_short_lived_signed_url_of_the_private_bucket(
    client, store, settings, pdf
):
    """X-Accel-Redirect names the internal location followed by a signed URL's path and query:
    nginx fetches it from the store, which gives the file to that URL (and only for a minute)."""
    settings.DOWNLOAD_SENDFILE_HEADER = "X-Accel-Redirect"
    settings.DOWNLOAD_INTERNAL_PREFIX = "/protected-files/"
    resource_file = _upload(ResourceFactory(), pdf)

    response = client.get(_download_url(resource_file))

    location = response["X-Accel-Redirect"]
    assert location.startswith(f"/protected-files/{PROTECTED}/{resource_file.file.name}?")
    query = urlsplit(location).query
    assert "X-Amz-Signature=" in query and "X-Amz-Expires=60" in query
    assert not response.content  # nginx sends the bytes
    signed = store.url + location.removeprefix("/protected-files")
    with urllib.request.urlopen(signed, timeout=5) as fetched:  # noqa: S310 (http on loopback)
        assert fetched.read() == pdf


def test_while_the_store_is_down_a_download_answers_a_clear_503_page(client, store, pdf):
    resource_file = _upload(ResourceFactory(), pdf)
    store.stop()

    response = client.get(_download_url(resource_file))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert FILES_UNAVAILABLE in html
    assert "cannot reach its file store" in html


def test_while_the_store_is_down_an_upload_in_the_admin_is_refused_and_leaves_nothing(
    client, store
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    store.stop()

    data = with_file(resource_form(), "Main principles.pdf", pdf_bytes("Annex 2"))
    response = client.post(reverse("admin:repository_resource_add"), data)

    assert response.status_code == 200  # the form again, with the message
    assert REFUSED in response.content.decode()
    assert not Resource.objects.exists()
    assert not ResourceFile.objects.exists()
    store.start()
    _make_buckets(store)
    assert _objects(store) == []


def test_while_the_store_is_down_the_service_refuses_the_upload_and_leaves_nothing(store, pdf):
    resource = ResourceFactory()
    store.stop()

    with pytest.raises(ValidationError) as refused:
        _upload(resource, pdf)

    assert REFUSED in refused.value.messages[0]
    assert not ResourceFile.objects.exists()


def test_when_the_store_is_back_uploads_and_downloads_work_again(client, store, pdf):
    resource = ResourceFactory()
    store.stop()
    with pytest.raises(ValidationError):
        _upload(resource, pdf)

    store.start()
    _make_buckets(store)  # moto keeps nothing across a restart; a real store keeps its buckets

    resource_file = _upload(resource, pdf)
    response = client.get(_download_url(resource_file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
    assert _objects(store) == [resource_file.file.name]
