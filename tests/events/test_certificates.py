"""Certificates of attendance: issuing, the PDF, downloading it, and verifying a code."""

import re
import unicodedata
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from events.attendance import (
    attendance_mark,
    attendance_unmark,
    certificate_issue,
    certificate_normalise_code,
)
from events.certificates import certificate_by_code, certificate_pdf
from events.models import Certificate
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

GENEVA = ZoneInfo("Europe/Zurich")
VERIFY_URL = "https://lpa.example.org/en/certificates/ABCD-EFGH-JKLM/"


@pytest.fixture
def event():
    return EventFactory(
        title="Virtual cGMP Training Marathon 2024",
        start=datetime(2024, 9, 10, 14, 0, tzinfo=GENEVA),
        end=datetime(2024, 10, 10, 16, 0, tzinfo=GENEVA),
    )


@pytest.fixture
def sessions(event):
    return [
        SessionFactory(event=event, start=event.start + timedelta(days=day)) for day in (0, 7, 14)
    ]


def _attended(event, sessions, **user_fields):
    registration = RegistrationFactory(event=event, user=UserFactory(**user_fields))
    attendance_mark(registrations=[registration], sessions=sessions)
    registration.refresh_from_db()
    return registration


# --- issuing ------------------------------------------------------------------------------------


def test_a_certificate_states_the_name_event_dates_and_sessions(event, sessions):
    registration = _attended(event, sessions[:2], full_name="Amara Diallo")

    certificate = certificate_issue(registration=registration)

    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", certificate.code)
    assert certificate.full_name == "Amara Diallo"
    assert certificate.event_title == "Virtual cGMP Training Marathon 2024"
    assert certificate.event_dates == "10 September – 10 October 2024"
    assert (certificate.sessions_attended, certificate.sessions_total) == (2, 3)
    # Issued once: asking again gives the same certificate.
    assert certificate_issue(registration=registration) == certificate
    assert Certificate.objects.count() == 1


def test_the_name_falls_back_to_the_account_and_stays_as_issued(event, sessions):
    registration = RegistrationFactory(event=event, full_name="", user__full_name="Łukasz Nowak")
    attendance_mark(registrations=[registration], sessions=sessions)
    certificate = Certificate.objects.get()
    assert certificate.full_name == "Łukasz Nowak"

    registration.user.full_name = "Someone Else"
    registration.user.save()
    assert certificate_issue(registration=registration).full_name == "Łukasz Nowak"


def test_no_certificate_without_attendance(event, sessions):
    registration = RegistrationFactory(event=event)
    with pytest.raises(ValueError, match="attended"):
        certificate_issue(registration=registration)
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    "typed",
    ["ABCD-EFGH-JKLM", "abcd-efgh-jklm", "abcdefghjklm", " ABCD EFGH JKLM ", "abcd–efgh–jklm"],
)
def test_codes_are_found_however_they_are_typed(typed):
    assert certificate_normalise_code(typed) == "ABCD-EFGH-JKLM"


@pytest.mark.parametrize(
    "typed", ["", "ABCD-EFGH", "ABCD-EFGH-JKL0", "<script>", "ABCD-EFGH-JKLMN"]
)
def test_what_cannot_be_a_code_is_not_looked_up(typed):
    assert certificate_normalise_code(typed) == ""
    assert certificate_by_code(code=typed) is None


# --- the PDF ------------------------------------------------------------------------------------


def _certificate(name: str = "Grace Okafor", **fields) -> Certificate:
    return Certificate(
        code="ABCD-EFGH-JKLM",
        full_name=name,
        event_title="Virtual cGMP Training Marathon 2024: sterile products and vaccines",
        event_dates="10 September – 10 October 2024",
        sessions_attended=7,
        sessions_total=12,
        issued_at=datetime(2024, 10, 14, 9, 30, tzinfo=GENEVA),
        **fields,
    )


def _text(pdf: bytes) -> str:
    return PdfReader(BytesIO(pdf)).pages[0].extract_text()


@pytest.mark.parametrize(
    "name",
    ["Grace Okafor", "Nguyễn Thị Hương", "Łukasz Wiśniewski", "Зоя Петрова", "Σοφία Παπαδοπούλου"],
)
def test_the_pdf_states_the_name_the_event_and_the_code(name):
    pdf = certificate_pdf(certificate=_certificate(name), language="en", verify_url=VERIFY_URL)

    assert pdf.startswith(b"%PDF-")
    assert len(pdf) < 100_000
    text = _text(pdf)
    for expected in (
        "Certificate of attendance",
        "This is to certify that",
        name,
        "Virtual cGMP Training Marathon 2024",
        "10 September – 10 October 2024",
        "7 of 12 sessions attended",
        "Issued on 14 October 2024",
        "ABCD-EFGH-JKLM",
        VERIFY_URL,
        "World Health Organization — Local Production & Assistance Unit",
    ):
        assert expected in text


def test_an_arabic_name_is_joined_and_right_to_left():
    name = "ليلى عبد الله"
    pdf = certificate_pdf(certificate=_certificate(name), language="en", verify_url=VERIFY_URL)

    lines = _text(pdf).splitlines()
    # Drawn with the joined forms of the letters (ﻟ is lam at the start of a word) ...
    drawn = next(line for line in lines if "\ufedf" in line)
    # ... which read back as the name, in its order.
    assert unicodedata.normalize("NFKC", drawn) == name


def test_the_pdf_has_its_metadata_and_is_the_same_every_time():
    certificate = _certificate("Amara Diallo")
    pdf = certificate_pdf(certificate=certificate, language="fr", verify_url=VERIFY_URL)

    assert pdf == certificate_pdf(certificate=certificate, language="fr", verify_url=VERIFY_URL)
    reader = PdfReader(BytesIO(pdf))
    assert reader.metadata.author == "WHO LPA"
    assert "Amara Diallo" in reader.metadata.title
    assert reader.metadata.creation_date.date() == certificate.issued_at.date()
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape


# --- downloading --------------------------------------------------------------------------------


def test_the_participant_downloads_their_certificate(client, event, sessions):
    registration = _attended(event, sessions, full_name="Зоя Петрова")
    code = registration.certificate.code
    client.force_login(registration.user)

    response = client.get(reverse("events:certificate_download", kwargs={"pk": registration.pk}))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{code}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    text = _text(response.content)
    assert "Зоя Петрова" in text and code in text
    assert f"http://testserver/en/certificates/{code}/" in text


def test_my_registrations_links_to_the_certificate(client, event, sessions):
    registration = _attended(event, sessions)
    client.force_login(registration.user)
    html = client.get(reverse("events:my_registrations")).content.decode()
    assert reverse("events:certificate_download", kwargs={"pk": registration.pk}) in html


def test_nobody_else_downloads_it(client, event, sessions):
    registration = _attended(event, sessions)
    url = reverse("events:certificate_download", kwargs={"pk": registration.pk})

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_no_download_without_a_valid_certificate(client, event, sessions):
    not_attended = RegistrationFactory(event=event)
    client.force_login(not_attended.user)
    url = reverse("events:certificate_download", kwargs={"pk": not_attended.pk})
    assert client.get(url).status_code == 404

    revoked = _attended(event, sessions)
    attendance_unmark(registrations=[revoked], sessions=sessions)
    client.force_login(revoked.user)
    url = reverse("events:certificate_download", kwargs={"pk": revoked.pk})
    assert client.get(url).status_code == 404


# --- verifying ----------------------------------------------------------------------------------


def _verify_url(code: str) -> str:
    return reverse("events:certificate_verify", kwargs={"code": code})


def test_the_verification_page_shows_what_the_certificate_states_and_nothing_else(
    client, event, sessions
):
    registration = _attended(
        event,
        sessions[:2],
        full_name="Amara Diallo",
        email="amara.private@example.org",
        organisation="Secret Pharma Ltd",
        job_title="Head of quality",
    )
    code = registration.certificate.code

    response = client.get(_verify_url(code))

    assert response.status_code == 200
    html = response.content.decode()
    for stated in (
        "This certificate is valid.",
        "Amara Diallo",
        "Virtual cGMP Training Marathon 2024",
        "10 September – 10 October 2024",
        "2 of 3",
        code,
        timezone.now().strftime("%Y"),
    ):
        assert stated in html
    for private in ("amara.private@example.org", "Secret Pharma Ltd", "Head of quality", "Kenya"):
        assert private not in html
    assert '<meta name="robots" content="noindex">' in html


def test_a_revoked_certificate_says_so(client, event, sessions):
    registration = _attended(event, sessions)
    attendance_unmark(registrations=[registration], sessions=sessions)

    response = client.get(_verify_url(registration.certificate.code))

    assert response.status_code == 200
    assert "revoked" in response.content.decode()
    assert "This certificate is valid." not in response.content.decode()


def test_an_unknown_code_is_not_found(client):
    response = client.get(_verify_url("ABCD-EFGH-JKLM"))
    assert response.status_code == 404
    assert "No certificate has the code" in response.content.decode()
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_the_code_works_in_lower_case_and_without_dashes(client, event, sessions):
    code = _attended(event, sessions).certificate.code

    assert client.get(_verify_url(code.lower().replace("-", ""))).status_code == 200

    lookup = reverse("events:certificate_lookup")
    assert client.get(lookup).status_code == 200
    response = client.get(lookup, {"code": code.lower().replace("-", "")})
    assert response.status_code == 302
    assert response["Location"] == _verify_url(code)


def test_the_lookup_form_explains_a_malformed_code(client):
    response = client.get(reverse("events:certificate_lookup"), {"code": "12-34"})
    assert response.status_code == 200
    assert "12 letters and digits" in response.content.decode()


def test_the_verification_page_query_count(client, event, sessions, django_assert_max_num_queries):
    registrations = [_attended(event, sessions) for _index in range(5)]
    code = registrations[2].certificate.code
    with django_assert_max_num_queries(1):
        response = client.get(_verify_url(code))
    assert response.status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get(_verify_url("ZZZZ-ZZZZ-ZZZZ")).status_code == 404
