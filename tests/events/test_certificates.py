"""Certificates of attendance: issuing, the PDF, downloading it, and verifying a code."""

import re
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from events.attendance import (
    attendance_mark,
    attendance_unmark,
    certificate_issue,
    certificate_normalise_code,
)
from events.certificates import certificate_by_code, certificate_pdf
from events.exceptions import CertificateNotYet
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
        **{
            "code": "ABCD-EFGH-JKLM",
            "full_name": name,
            "event_title": "Virtual cGMP Training Marathon 2024: sterile products and vaccines",
            "event_dates": "10 September – 10 October 2024",
            "sessions_attended": 7,
            "sessions_total": 12,
            "issued_at": datetime(2024, 10, 14, 9, 30, tzinfo=GENEVA),
            **fields,
        }
    )


def _text(pdf: bytes) -> str:
    # pypdf reads a NUL before each character of an OpenType/CFF font (Noto Sans SC), whose
    # ToUnicode map is right (PDF viewers copy the text without them): left out.
    return PdfReader(BytesIO(pdf)).pages[0].extract_text().replace("\x00", "")


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


def _glyphs(pdf: bytes, font: str) -> set[str]:
    """The names of the glyphs of the fonts embedded in the PDF whose name holds `font`."""
    names = set()
    for embedded in PdfReader(BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values():
        embedded = embedded.get_object()
        if font not in embedded["/BaseFont"]:
            continue
        descriptor = embedded["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        data = descriptor.get_object()["/FontFile2"].get_object().get_data()
        names |= set(TTFont(BytesIO(data)).getGlyphOrder())
    return names


def test_an_arabic_name_is_joined_and_right_to_left():
    name = "ليلى عبد الله"
    pdf = certificate_pdf(certificate=_certificate(name), language="en", verify_url=VERIFY_URL)

    # Drawn with the joined forms of the letters, as HarfBuzz shapes them: lam at the start of
    # a word (ﻟ), ain at the start (ﻋ), beh in the middle (ﺒ), dal at the end (ﺪ) ...
    assert {"uniFEDF", "uniFECB", "uniFE92", "uniFEAA"} <= _glyphs(pdf, "NotoSansArabic")
    # ... which read back as the name, in its order.
    assert name in _text(pdf).splitlines()


# The holder's name in the script of each language, the heading and the issuer as translated.
IN_EACH_LANGUAGE = {
    "fr": ("Amara Diallo", "Attestation de participation", "Organisation mondiale de la Santé"),
    "es": ("María José Pérez", "Certificado de asistencia", "Organización Mundial de la Salud"),
    "ar": ("ليلى عبد الله", "شهادة حضور", "منظمة الصحة العالمية"),
    "ru": ("Зоя Петрова", "Сертификат об участии", "Всемирная организация здравоохранения"),
    "zh-hans": ("王小明", "出席证书", "世界卫生组织本地生产与援助处"),
}


@pytest.mark.parametrize("language", IN_EACH_LANGUAGE)
def test_the_certificate_is_in_the_language_of_its_holder(language):
    name, heading, issuer = IN_EACH_LANGUAGE[language]
    pdf = certificate_pdf(certificate=_certificate(name), language=language, verify_url=VERIFY_URL)

    assert len(pdf) < 200_000
    text = _text(pdf)
    # Chinese is read back with a space between characters: compared without spaces.
    flat = "".join(text.split())
    for expected in (name, heading, issuer, "ABCD-EFGH-JKLM", VERIFY_URL):
        assert "".join(expected.split()) in flat, expected
    # Nothing of the interface left in English (the event's title is as staff wrote it).
    for english in ("Certificate of attendance", "This is to certify", "World Health", "Issued"):
        assert english not in text
    assert PdfReader(BytesIO(pdf)).trailer["/Root"]["/Lang"] == language


def test_an_arabic_certificate_reads_right_to_left():
    pdf = certificate_pdf(certificate=_certificate(), language="ar", verify_url=VERIFY_URL)

    # Arabic lines are Noto Sans Arabic, joined; the Latin name and title come from DejaVu Sans.
    assert {"uniFEDF", "uniFEE0"} <= _glyphs(pdf, "NotoSansArabic")  # lam of شهادة / الجلسات
    assert {"G", "O", "k"} <= _glyphs(pdf, "DejaVu")  # Grace Okafor
    lines = _text(pdf).splitlines()
    assert "شهادة حضور" in lines
    assert "Grace Okafor" in lines


def test_an_arabic_certificate_keeps_ranges_of_days_left_to_right():
    certificate = _certificate(event_dates="10–12 سبتمبر، 2024")
    pdf = certificate_pdf(certificate=certificate, language="ar", verify_url=VERIFY_URL)

    # Read back in the order the glyphs are drawn: 10 on the left of 12, as on the pages.
    text = _text(pdf)
    assert "10–12" in text
    assert "12–10" not in text


def test_a_chinese_name_prints_on_an_english_certificate():
    pdf = certificate_pdf(certificate=_certificate("王小明"), language="en", verify_url=VERIFY_URL)

    assert "王小明" in "".join(_text(pdf).split())
    assert "Certificate of attendance" in _text(pdf)


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


# --- nothing before its time --------------------------------------------------------------------


@pytest.fixture
def next_march():
    """An event of 10–11 March 2027 seen on 4 December 2026: nothing of it has happened."""
    start = timezone.now() + timedelta(days=96)
    event = EventFactory(title="Workshop of March", start=start, end=start + timedelta(days=1))
    sessions = [SessionFactory(event=event, start=start + timedelta(days=day)) for day in (0, 1)]
    return event, sessions


def _staff_client(client):
    from django.contrib.auth.models import Group

    from accounts.groups import EVENT_MANAGERS

    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name=EVENT_MANAGERS))
    client.force_login(manager)
    return client


def test_marking_present_before_the_event_is_refused_and_says_why(client, next_march):
    from django.contrib.messages import get_messages

    from events.models import Attendance

    event, _sessions = next_march
    registration = RegistrationFactory(event=event)
    client = _staff_client(client)

    response = client.post(
        reverse("admin:events_registration_changelist"),
        {"action": "mark_attended", "_selected_action": [registration.pk]},
    )

    assert response.status_code == 302
    reported = [
        (message.level_tag, str(message)) for message in get_messages(response.wsgi_request)
    ]
    assert len(reported) == 1
    level, text = reported[0]
    assert level == "warning"
    assert "no session of the event has started yet (the first starts on" in text
    assert not Attendance.objects.exists()
    registration.refresh_from_db()
    assert not registration.attended
    assert not Certificate.objects.exists()


def test_importing_attendance_of_a_session_to_come_is_refused(client, next_march):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from events.models import Attendance

    event, sessions = next_march
    RegistrationFactory(event=event, user__email="amara@example.org")
    client = _staff_client(client)

    response = client.post(
        reverse("admin:events_event_attendance_import", args=[event.pk]),
        {
            "session": sessions[0].pk,
            "file": SimpleUploadedFile("report.csv", b"Name,Email\nAmara,amara@example.org\n"),
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors[0].startswith(
        "Attendance can be recorded only for sessions that have started; this one has not:"
    )
    assert not Attendance.objects.exists()


def test_the_service_refuses_a_session_to_come(next_march):
    from events.exceptions import SessionNotStarted

    event, sessions = next_march
    registration = RegistrationFactory(event=event)

    with pytest.raises(SessionNotStarted):
        attendance_mark(registrations=[registration], sessions=sessions)

    registration.refresh_from_db()
    assert not registration.attended


@pytest.fixture
def under_way():
    """A two-day event whose first day is over and whose second day is tomorrow."""
    start = timezone.now() - timedelta(days=1)
    event = EventFactory(start=start, end=start + timedelta(days=2), sessions_required=1)
    first = SessionFactory(event=event, start=start)
    SessionFactory(event=event, start=start + timedelta(days=2))
    return event, first


def test_attendance_during_the_event_gives_a_certificate_only_after_it(client, under_way):
    event, first = under_way
    registration = RegistrationFactory(event=event, user=UserFactory(full_name="Amara Diallo"))
    attendance_mark(registrations=[registration], sessions=[first])
    registration.refresh_from_db()
    assert registration.attended
    assert not Certificate.objects.exists()
    client.force_login(registration.user)
    url = reverse("events:certificate_download", kwargs={"pk": registration.pk})
    assert url not in client.get(reverse("events:my_registrations")).content.decode()

    response = client.get(url, follow=True)

    assert response.redirect_chain[-1][0] == reverse("events:my_registrations")
    assert "Certificates of attendance are issued once the event has ended." in (
        response.content.decode()
    )
    assert not Certificate.objects.exists()
    with pytest.raises(CertificateNotYet):
        certificate_issue(registration=registration)

    # The event ends: the first download issues the certificate.
    event.end = timezone.now() - timedelta(minutes=1)
    event.save()
    assert url in client.get(reverse("events:my_registrations")).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert Certificate.objects.get(registration=registration).full_name == "Amara Diallo"


def test_a_certificate_issued_before_its_event_ended_does_not_verify(client, next_march):
    event, _sessions = next_march
    registration = RegistrationFactory(event=event, attended=True)
    # Issued by the code of before, when nothing stopped it.
    certificate = Certificate.objects.create(
        registration=registration,
        code="ABCD-2345-EFGH",
        full_name="Amara Diallo",
        event_title=event.title,
        event_dates="10–11 March 2027",
        sessions_attended=2,
        sessions_total=2,
    )

    html = client.get(_verify_url(certificate.code)).content.decode()

    assert "This certificate is valid." not in html
    assert "This certificate is not valid: the event it is for has not ended yet." in html
    assert not certificate.is_valid()
    assert not Certificate.objects.valid().exists()
