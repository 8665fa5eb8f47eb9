"""The outside review's "should fix" items: abuse that harms others without breaking in.

- Anonymous searches filled the staff's "what people search for" report unthrottled.
- The sign-up verification email repeated the "full name" the sender chose, to any address.
- Unsubscribe tokens never stopped working and showed the user id.
- An Office file that unpacks to 300 MB was accepted.
"""

import io
import re
import zipfile

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from events.alerts import unsubscribe_token
from events.models import AlertSubscription
from repository.models import SearchQuery
from repository.uploads import validate_resource_upload
from tests.factories import PASSWORD, ResourceFactory, UserFactory
from tests.forms import admin_form_data

pytestmark = pytest.mark.django_db

SEARCH = "/en/resources/"


# --- The search log ---------------------------------------------------------------------------


def test_one_visitor_repeating_a_search_is_logged_once_an_hour(client):
    ResourceFactory(title="Cleaning validation")
    for _ in range(50):
        client.get(SEARCH, {"q": "cleaning"}, REMOTE_ADDR="203.0.113.7")
    assert SearchQuery.objects.count() == 1
    client.get(SEARCH, {"q": "cleaning"}, REMOTE_ADDR="198.51.100.2")  # someone else
    assert SearchQuery.objects.count() == 2


def test_one_address_cannot_fill_the_report_with_many_searches(client):
    for number in range(200):
        client.get(SEARCH, {"q": f"spam word {number}"}, REMOTE_ADDR="203.0.113.7")
    assert SearchQuery.objects.count() == 30
    client.get(SEARCH, {"q": "water for injection"}, REMOTE_ADDR="198.51.100.2")
    assert SearchQuery.objects.filter(query="water for injection").exists()


# --- The verification email -------------------------------------------------------------------


def test_the_verification_email_does_not_repeat_the_name_the_sender_typed(client):
    lure = "URGENT: your WHO grant is ready, call +1 555 0100 and visit evil.example"
    client.post(
        reverse("account_signup"),
        {
            "email": "victim@example.org",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
            "full_name": lure,
            "organisation": "evil.example Ltd",
            "organisation_type": "manufacturer",
            "job_title": "Click evil.example",
            "country": "NG",
            "preferred_language": "en",
            "accept_privacy": "on",
        },
    )
    (message,) = mail.outbox
    assert message.to == ["victim@example.org"]
    text = message.subject + message.body + "".join(str(a[0]) for a in message.alternatives)
    assert "evil.example" not in text and "URGENT" not in text
    assert "/confirm-email/" in message.body


# --- Unsubscribe tokens -----------------------------------------------------------------------


def _token_for(user) -> str:
    subscription = AlertSubscription.objects.create(user=user)
    return unsubscribe_token(subscriptions=[subscription])


def test_an_unsubscribe_token_names_only_a_random_key():
    """The old token was readable JSON with the user's id; the new one signs an opaque key."""
    user = UserFactory()
    subscription = AlertSubscription.objects.create(user=user)
    token = unsubscribe_token(subscriptions=[subscription])
    value, _signature = token.rsplit(":", 1)
    assert value == subscription.key
    assert re.fullmatch(r"[0-9a-f]{32}", value)
    assert AlertSubscription.objects.create(user=user).key != subscription.key


def test_a_token_stops_working_once_used():
    user = UserFactory()
    token = _token_for(user)
    path = reverse("events:alerts_unsubscribe", kwargs={"token": token})
    client = Client(enforce_csrf_checks=True)
    assert b"You are unsubscribed" in client.post(path).content
    # A new subscription of the same person is not stopped by the old link.
    AlertSubscription.objects.create(user=user)
    again = client.post(path)
    assert b"already unsubscribed" in again.content
    assert AlertSubscription.objects.filter(user=user).count() == 1


def test_a_token_stops_nothing_once_the_account_is_deleted(client):
    user = UserFactory()
    token = _token_for(user)
    client.force_login(user)
    client.post(reverse("accounts:delete"), {"password": PASSWORD})
    response = Client().get(reverse("events:alerts_unsubscribe", kwargs={"token": token}))
    assert b"Unsubscribe</button>" not in response.content


# --- Zip bombs --------------------------------------------------------------------------------


def _docx(extra_name: str, extra: bytes) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr(extra_name, extra)
    return SimpleUploadedFile("report.docx", buffer.getvalue())


def test_an_office_file_that_unpacks_to_hundreds_of_megabytes_is_refused(settings):
    settings.RESOURCE_MAX_UPLOAD_MB = 50
    bomb = _docx("word/media/padding.bin", b"\0" * (300 * 1024 * 1024))
    assert bomb.size < 1024 * 1024  # it weighs under a megabyte
    with pytest.raises(ValidationError) as refused:
        validate_resource_upload(bomb)
    assert refused.value.code == "zip_bomb"


def test_a_part_compressed_beyond_reason_is_refused(settings):
    bomb = _docx("word/media/padding.bin", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        validate_resource_upload(bomb)
    assert refused.value.code == "zip_bomb"


def test_an_ordinary_office_file_is_accepted():
    info = validate_resource_upload(_docx("word/media/photo.jpg", bytes(range(256)) * 4000))
    assert info.extension == "docx"


def test_the_admin_upload_of_a_zip_bomb_changes_nothing(client):
    """Over HTTP, as staff upload it: a clear message, no file row."""
    from repository.models import ResourceFile

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    resource = ResourceFactory()
    change_url = reverse("admin:repository_resource_change", args=[resource.pk])
    data = admin_form_data(client.get(change_url))
    data.update(
        {
            "files-TOTAL_FORMS": "1",
            "files-INITIAL_FORMS": "0",
            "files-0-language": "en",
            "files-0-order": "0",
            "files-0-file": _docx("word/media/padding.bin", b"\0" * (300 * 1024 * 1024)),
        }
    )
    response = client.post(change_url, data)
    assert response.status_code == 200
    assert "far more than it weighs" in response.content.decode()
    assert not ResourceFile.objects.exists()
