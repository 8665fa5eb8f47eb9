"""Attendance, certificates of attendance and the survey after an event.

Attendance is recorded per session (by staff, or imported from the meeting software's report),
only for sessions that have started (`Session.has_started`). A registration counts as attended
once it was present at `event.sessions_required` distinct sessions; that flag is recomputed
whenever attendance changes, and a certificate follows it once the event has ended
(`Event.has_ended`): issued for an attended registration, revoked when it no longer is, valid
again when it is marked present again. Attendance is the one source of truth, so to revoke a
certificate, remove the attendance it states.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.audit import audit_trail_record_update
from accounts.models import User
from events.emails import email_queue
from events.exceptions import (
    AttendanceImportError,
    CertificateNotYet,
    FeedbackAlreadyGiven,
    FeedbackError,
    FeedbackNotAttended,
    FeedbackNotYet,
    SessionNotStarted,
)
from events.models import (
    Attendance,
    Certificate,
    EmailDelivery,
    Event,
    Feedback,
    Registration,
    Session,
)
from events.templatetags.event_tags import date_range

# --- Attendance ---------------------------------------------------------------------------------


def _pks(objects) -> list[int]:
    """The primary keys of model instances, of a queryset, or the given integers."""
    if isinstance(objects, QuerySet):
        return list(objects.values_list("pk", flat=True))
    return [obj if isinstance(obj, int) else obj.pk for obj in objects]


def _one_event(*, registration_ids: list[int], sessions: list[Session]) -> Event:
    """The event all sessions and registrations belong to; ValueError when they are mixed."""
    event_ids = {session.event_id for session in sessions}
    event_ids |= set(
        Registration.objects.filter(pk__in=registration_ids)
        .order_by()
        .values_list("event_id", flat=True)
        .distinct()
    )
    if len(event_ids) != 1:
        raise ValueError(_("The sessions and the registrations must all be of the same event."))
    return Event.objects.get(pk=event_ids.pop())


def _required(event: Event) -> int:
    # Nobody has attended an event without having been present at least once.
    return max(event.sessions_required, 1)


def attendance_mark(
    *,
    registrations,
    sessions,
    source: str = Attendance.Source.ADMIN,
    by=None,
) -> int:
    """Record that the confirmed registrations were present at each of the sessions.

    Rows that exist already are kept as they are; registrations that are not confirmed are
    ignored; sessions that have not started are refused (SessionNotStarted) and so are sessions
    and registrations of different events (ValueError). Then the
    `attended` flag of each registration is recomputed and the certificates follow it (issued,
    updated, or valid again). With `by`, the change is logged in the admin history of each
    registration that got new attendance. Returns the number of new attendance rows.
    """
    sessions = list(sessions)
    registration_ids = _pks(registrations)
    if not sessions or not registration_ids:
        return 0
    with transaction.atomic():
        event = _one_event(registration_ids=registration_ids, sessions=sessions)
        for session in sessions:
            session.event = event
        attendance_check_started(sessions=sessions)
        # Locked, so that two imports at the same time cannot both add the same rows.
        confirmed = list(
            Registration.objects.select_for_update()
            .filter(pk__in=registration_ids, status=Registration.Status.CONFIRMED)
            .values_list("pk", flat=True)
        )
        if not confirmed:
            return 0
        session_ids = list(dict.fromkeys(session.pk for session in sessions))
        existing = set(
            Attendance.objects.filter(
                session_id__in=session_ids, registration_id__in=confirmed
            ).values_list("registration_id", "session_id")
        )
        now = timezone.now()
        new = [
            Attendance(registration_id=pk, session_id=session_id, source=source, created_at=now)
            for pk in confirmed
            for session_id in session_ids
            if (pk, session_id) not in existing
        ]
        Attendance.objects.bulk_create(new, batch_size=1000)
        _attendance_refresh(event=event, registration_ids=confirmed, now=now)
        if by is not None and new:
            titles = ", ".join(session.title for session in sessions)
            how = Attendance.Source(source).label
            _log(
                by=by,
                registration_ids={row.registration_id for row in new},
                message=f"Marked present at: {titles} ({how}).",
            )
    return len(new)


def attendance_check_started(*, sessions, now: datetime | None = None) -> None:
    """Raise SessionNotStarted, naming them, unless every session has started
    (`Session.has_started`): nobody can have been present at a session still to come."""
    waiting = [session for session in sessions if not session.has_started(now)]
    if waiting:
        raise SessionNotStarted(
            ngettext(
                "Attendance can be recorded only for sessions that have started; this one has "
                "not: %(sessions)s.",
                "Attendance can be recorded only for sessions that have started; these have "
                "not: %(sessions)s.",
                len(waiting),
            )
            % {"sessions": "; ".join(_session_label(session) for session in waiting)}
        )


def _session_label(session: Session) -> str:
    from events.templatetags.event_tags import local_datetime

    return f"{session.title} ({local_datetime(session.start, session.event.tz)})"


def attendance_unmark(*, registrations, sessions) -> int:
    """Remove the registrations' attendance at the sessions (whatever their status), then
    recompute their `attended` flag; a certificate that no longer holds is revoked, not
    deleted, so that its code still verifies as revoked. Returns the number of rows removed."""
    sessions = list(sessions)
    registration_ids = _pks(registrations)
    if not sessions or not registration_ids:
        return 0
    with transaction.atomic():
        event = _one_event(registration_ids=registration_ids, sessions=sessions)
        list(Registration.objects.select_for_update().filter(pk__in=registration_ids).values("pk"))
        removed, _detail = Attendance.objects.filter(
            registration_id__in=registration_ids, session__in=[s.pk for s in sessions]
        ).delete()
        _attendance_refresh(event=event, registration_ids=registration_ids, now=timezone.now())
    return removed


def _attendance_refresh(*, event: Event, registration_ids: list[int], now: datetime) -> None:
    """Recompute the `attended` flag of these registrations and bring their certificates in
    line with it, in a fixed number of queries."""
    rows = list(
        Registration.objects.filter(pk__in=registration_ids)
        .annotate(present=Count("attendances", distinct=True))
        .values_list("pk", "attended", "present")
    )
    required = _required(event)
    presence = {pk: present for pk, _attended, present in rows}
    gained = [pk for pk, attended, present in rows if present >= required and not attended]
    lost = [pk for pk, attended, present in rows if present < required and attended]
    if gained:
        Registration.objects.filter(pk__in=gained).update(attended=True, updated_at=now)
        audit_trail_record_update(
            model=Registration, object_ids=gained, changes={"attended": ("False", "True")}
        )
    if lost:
        Registration.objects.filter(pk__in=lost).update(attended=False, updated_at=now)
        audit_trail_record_update(
            model=Registration, object_ids=lost, changes={"attended": ("True", "False")}
        )
    attended = {pk for pk, present in presence.items() if present >= required}
    _certificates_sync(event=event, presence=presence, attended=attended, now=now)


def _log(*, by, registration_ids: Iterable[int], message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=list(
            Registration.objects.filter(pk__in=list(registration_ids)).select_related("event")
        ),
        action_flag=CHANGE,
        change_message=message,
    )


# --- Import of a meeting's attendance report ----------------------------------------------------

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
HEADER_SEARCH_LINES = 30
EMAIL_HEADERS = (
    "email",
    "e-mail",
    "email address",
    "user email",
    "attendee email",
    "participant email",
    "courriel",
    "adresse e-mail",
)
DELIMITERS = (",", ";", "\t")
EMAIL_RE = re.compile(r"^[^@\s<>\",;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


@dataclass
class AttendanceImportReport:
    marked: list[str] = field(default_factory=list)
    already_marked: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # no account with this email address
    not_registered: list[str] = field(default_factory=list)  # no confirmed registration
    duplicates: list[str] = field(default_factory=list)  # listed more than once in the file
    invalid: list[str] = field(default_factory=list)  # "line 7: no email address"

    @property
    def summary(self) -> str:
        invalid = ngettext(
            "%(count)d row not understood", "%(count)d rows not understood", len(self.invalid)
        ) % {"count": len(self.invalid)}
        return _(
            "%(marked)d marked present, %(already)d already marked, %(unknown)d without an "
            "account, %(not_registered)d not registered for this event, %(duplicates)d listed "
            "more than once, %(invalid)s."
        ) % {
            "marked": len(self.marked),
            "already": len(self.already_marked),
            "unknown": len(self.unknown),
            "not_registered": len(self.not_registered),
            "duplicates": len(self.duplicates),
            "invalid": invalid,
        }


def attendance_import_csv(*, session: Session, file, by=None) -> AttendanceImportReport:
    """Mark present at the session everyone the meeting software's report lists.

    The report is a CSV file as Zoom, Teams, Webex and others export it: any of the usual
    encodings, comma, semicolon or tab separated, possibly with a summary block above the table.
    People are matched to the event's confirmed registrations by email address, ignoring case,
    including the other verified addresses of their account. Whatever cannot be matched is
    reported, not guessed. A file that cannot be read at all raises AttendanceImportError and
    changes nothing; the import is one transaction.
    """
    text = _decode(_read(file))
    rows = _email_rows(text)
    report = AttendanceImportReport()

    emails: list[str] = []  # in the order of the file, once each
    seen: set[str] = set()
    for line, value in rows:
        if not value:
            report.invalid.append(_("line %(line)d: no email address") % {"line": line})
            continue
        email = value.strip().strip("<>").strip().lower()
        if email.startswith("mailto:"):
            email = email[len("mailto:") :]
        if not EMAIL_RE.match(email):
            report.invalid.append(
                _("line %(line)d: “%(value)s” is not an email address")
                % {"line": line, "value": value[:100]}
            )
            continue
        if email in seen:
            if email not in report.duplicates:
                report.duplicates.append(email)
            continue
        seen.add(email)
        emails.append(email)

    event = Event.objects.get(pk=session.event_id)
    session.event = event
    try:
        attendance_check_started(sessions=[session])
    except SessionNotStarted as error:
        raise AttendanceImportError(error.message) from error
    with transaction.atomic():
        by_email = _event_registrations_by_email(event)
        present = set(
            Attendance.objects.filter(session=session).values_list("registration_id", flat=True)
        )
        to_mark: set[int] = set()
        unmatched: list[str] = []
        outcome: dict[str, str] = {}
        for email in emails:
            confirmed = {
                pk
                for pk, status in by_email.get(email, ())
                if status == Registration.Status.CONFIRMED
            }
            if not confirmed:
                unmatched.append(email)
            elif confirmed <= present:
                outcome[email] = "already_marked"
            else:
                outcome[email] = "marked"
                to_mark |= confirmed - present
        with_account = _emails_with_account(unmatched)
        for email in unmatched:
            outcome[email] = "not_registered" if email in with_account else "unknown"
        for email in emails:
            getattr(report, outcome[email]).append(email)
        if to_mark:
            attendance_mark(
                registrations=sorted(to_mark),
                sessions=[session],
                source=Attendance.Source.CSV,
                by=by,
            )
    return report


def _read(file) -> bytes:
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
    else:
        size = getattr(file, "size", None)
        if size is not None and size > MAX_IMPORT_BYTES:
            raise _too_large()
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(MAX_IMPORT_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    if len(data) > MAX_IMPORT_BYTES:
        raise _too_large()
    if not data.strip():
        raise AttendanceImportError(gettext_lazy("The file is empty."))
    return data


def _too_large() -> AttendanceImportError:
    return AttendanceImportError(
        gettext_lazy("The file is larger than 5 MB. Export the participants' list only.")
    )


def _not_text() -> AttendanceImportError:
    return AttendanceImportError(
        gettext_lazy(
            "This is not a CSV text file. Save the attendance report as CSV (comma, semicolon "
            "or tab separated) and upload that file."
        )
    )


def _decode(data: bytes) -> str:
    """The text of the file: UTF-8 (with or without a byte order mark), UTF-16 as Teams writes
    it, or else a Windows or ISO 8859-1 code page, which any bytes decode to; binary files
    are recognised by their control characters."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig"]
        utf16 = _utf16_without_bom(data)
        if utf16:
            encodings.append(utf16)
        encodings += ["cp1252", "latin-1"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise _not_text()
    text = text.lstrip("\ufeff").rstrip("\x1a")  # byte order mark; DOS end-of-file mark
    if not text.strip():
        raise AttendanceImportError(gettext_lazy("The file is empty."))
    sample = text[:65536]
    controls = sum(
        1
        for char in sample
        if char not in "\t\n\r\f\v" and unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn")
    )
    if "\x00" in sample or controls > len(sample) / 100:
        raise _not_text()
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when every other byte is mostly zero (Latin text in UTF-16)."""
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    if sample[1::2].count(0) > pairs * 0.6:
        return "utf-16-le"
    if sample[0::2].count(0) > pairs * 0.6:
        return "utf-16-be"
    return None


def _header_cell(value: str) -> str:
    return " ".join(value.strip().strip("\ufeff\"'").lower().split())


def _email_column(cells: list[str]) -> int | None:
    for index, cell in enumerate(cells):
        if _header_cell(cell) in EMAIL_HEADERS:
            return index
    return None


def _find_header(lines: list[str]) -> tuple[int, str, int]:
    """(line index, delimiter, email column) of the first table header among the first lines.

    Where several delimiters find the email column, the one that splits the header into the
    most columns is the file's."""
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        line = line.rstrip("\r\n")
        found = []
        for delimiter in DELIMITERS:
            try:
                cells = next(csv.reader([line], delimiter=delimiter), [])
            except csv.Error:
                continue
            column = _email_column(cells)
            if column is not None:
                found.append((len(cells), delimiter, column))
        if found:
            _cells, delimiter, column = max(found, key=lambda item: item[0])
            return index, delimiter, column
    raise AttendanceImportError(
        gettext_lazy(
            "No column of email addresses was found. The first row of the table must name it, "
            "e.g. “Email”, “User Email” or “Attendee Email”."
        )
    )


def _email_rows(text: str) -> list[tuple[int, str]]:
    """(line number, email cell) of each row of the table, from the header on.

    Blank lines are skipped; a later header (Teams repeats the table in another section)
    sets the email column again; a lone cell between tables (a section title) is not a row.
    """
    lines = text.splitlines(keepends=True)
    start, delimiter, column = _find_header(lines)
    offset = sum(len(line) for line in lines[:start])
    reader = csv.reader(io.StringIO(text[offset:], newline=""), delimiter=delimiter)
    rows: list[tuple[int, str]] = []
    width = None
    try:
        for cells in reader:
            line = start + reader.line_num
            if width is None:  # the header itself
                width = len(cells)
                continue
            filled = [cell for cell in cells if cell.strip()]
            if not filled:
                continue
            header_column = _email_column(cells)
            if header_column is not None:
                column, width = header_column, len(cells)
                continue
            value = cells[column].strip() if column < len(cells) else ""
            if not value and width > 1 and len(filled) == 1 and "@" not in filled[0]:
                continue
            rows.append((line, value))
            if len(rows) > MAX_IMPORT_ROWS:
                raise AttendanceImportError(
                    gettext_lazy(
                        "The file has more than 50,000 rows; split it and import each part."
                    )
                )
    except csv.Error as error:
        raise AttendanceImportError(
            _("The file could not be read as CSV near line %(line)d: %(error)s")
            % {"line": start + reader.line_num, "error": error}
        ) from error
    return rows


def _event_registrations_by_email(event: Event) -> dict[str, list[tuple[int, str]]]:
    """Every address of the event's registrants (their account's, and the other verified ones)
    with the registrations (id, status) it leads to."""
    registrations = list(
        Registration.objects.filter(event=event).values_list(
            "pk", "user_id", "user__email", "status"
        )
    )
    by_user: dict[int, list[tuple[int, str]]] = {}
    by_email: dict[str, set[int]] = {}
    for pk, user_id, email, status in registrations:
        by_user.setdefault(user_id, []).append((pk, status))
        by_email.setdefault(email.lower(), set()).add(user_id)
    secondary = (
        EmailAddress.objects.filter(user__registrations__event=event, verified=True)
        .values_list("email", "user_id")
        .distinct()
    )
    for email, user_id in secondary:
        by_email.setdefault(email.lower(), set()).add(user_id)
    return {
        email: [registration for user_id in users for registration in by_user[user_id]]
        for email, users in by_email.items()
    }


def _emails_with_account(emails: list[str]) -> set[str]:
    """The addresses among these that belong to an account (its own or a verified other one)."""
    found: set[str] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        found |= set(
            User.objects.annotate(address=Lower("email"))
            .filter(address__in=chunk)
            .values_list("address", flat=True)
        )
        found |= set(
            EmailAddress.objects.annotate(address=Lower("email"))
            .filter(address__in=chunk, verified=True)
            .values_list("address", flat=True)
        )
    return found


# --- Certificates -------------------------------------------------------------------------------

# No 0/O or 1/I: codes are read out and typed in by hand.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def _code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _free_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        codes |= {_code() for _index in range(count - len(codes))}
        codes -= set(Certificate.objects.filter(code__in=codes).values_list("code", flat=True))
    return list(codes)


def certificate_normalise_code(code: str) -> str:
    """The code as stored (XXXX-XXXX-XXXX) from what someone typed: any case, with or without
    dashes or spaces. Returns "" when it cannot be a code."""
    raw = re.sub(r"[\s\-‐‑–—_.]", "", code or "").upper()
    if len(raw) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in raw):
        return ""
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def certificate_issue(*, registration: Registration) -> Certificate:
    """The certificate of an attended registration, issued once: later calls return the same
    one (valid again if it had been revoked). What it states is fixed when it is issued (the
    name, the event's title, its dates in the participant's language); only the number of
    sessions follows later corrections of attendance. Raises CertificateNotYet before the
    event has ended, ValueError for a registration that has not attended or has no name."""
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("event")
            .get(pk=registration.pk)
        )
        if not registration.attended:
            raise ValueError(_("Only a registration that attended gets a certificate."))
        if not registration.event.has_ended():
            raise CertificateNotYet
        _certificates_sync(
            event=registration.event,
            presence={registration.pk: registration.attendances.count()},
            attended={registration.pk},
            now=timezone.now(),
            strict=True,
        )
        return Certificate.objects.get(registration=registration)


def _certificates_sync(
    *,
    event: Event,
    presence: dict[int, int],
    attended: set[int],
    now: datetime,
    strict: bool = False,
) -> None:
    """Certificates that say what attendance says: a certificate for each attended registration
    (issued, or updated and valid again) and revoked for the others. A registration without a
    name to print gets none (ValueError when `strict`)."""
    if not presence:
        return
    total = event.sessions.count()
    existing = {
        certificate.registration_id: certificate
        for certificate in Certificate.objects.filter(registration_id__in=list(presence))
    }
    changed = []
    for pk, certificate in existing.items():
        before = (certificate.sessions_attended, certificate.sessions_total, certificate.revoked_at)
        certificate.sessions_attended = presence[pk]
        certificate.sessions_total = total
        if pk in attended:
            certificate.revoked_at = None
        elif certificate.revoked_at is None:
            certificate.revoked_at = now
        after = (certificate.sessions_attended, certificate.sessions_total, certificate.revoked_at)
        if after != before:
            changed.append(certificate)
    Certificate.objects.bulk_update(
        changed, ["sessions_attended", "sessions_total", "revoked_at"], batch_size=500
    )

    # Attendance may be recorded while the event runs; certificates wait for its end, when
    # they are issued on the first download (`certificate_issue`) or by a later sync.
    missing = [pk for pk in attended if pk not in existing]
    if not missing or not event.has_ended(now):
        return
    registrations = Registration.objects.filter(pk__in=missing).select_related("user")
    new = []
    for registration in registrations:
        name = (registration.full_name or registration.user.full_name).strip()
        if not name:
            if strict:
                raise ValueError(_("The participant has no name to print on a certificate."))
            continue
        language = registration.user.preferred_language or settings.LANGUAGE_CODE
        with translation.override(language):
            dates = date_range(event.start, event.end, event.tz)
        new.append(
            Certificate(
                registration=registration,
                full_name=name[:200],
                event_title=event.title[:250],
                event_dates=dates[:100],
                sessions_attended=presence[registration.pk],
                sessions_total=total,
                issued_at=now,
            )
        )
    for certificate, code in zip(new, _free_codes(len(new)), strict=True):
        certificate.code = code
    Certificate.objects.bulk_create(new, batch_size=500)


# --- Feedback -----------------------------------------------------------------------------------


def feedback_check(*, registration: Registration, now: datetime | None = None) -> None:
    """Raise unless this registration may answer the survey now: it attended, the event has
    ended, and it has not answered yet."""
    now = now or timezone.now()
    if not registration.attended:
        raise FeedbackNotAttended
    if registration.event.end > now:
        raise FeedbackNotYet
    if Feedback.objects.filter(registration=registration).exists():
        raise FeedbackAlreadyGiven


def feedback_submit(
    *,
    registration: Registration,
    rating: int,
    most_useful_session: Session | None = None,
    topics_wanted: str = "",
    comments: str = "",
) -> Feedback:
    """Record the survey answer of an attended registration of an ended event, once."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise FeedbackError(gettext_lazy("Give a rating from 1 to 5."))
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("event")
            .get(pk=registration.pk)
        )
        feedback_check(registration=registration)
        if (
            most_useful_session is not None
            and most_useful_session.event_id != registration.event_id
        ):
            raise FeedbackError(gettext_lazy("Choose a session of this event."))
        try:
            with transaction.atomic():
                return Feedback.objects.create(
                    registration=registration,
                    rating=rating,
                    most_useful_session=most_useful_session,
                    topics_wanted=topics_wanted.strip(),
                    comments=comments.strip(),
                )
        except IntegrityError as error:
            raise FeedbackAlreadyGiven from error


def feedback_summary(*, event: Event) -> dict:
    """The survey answers of an event, counted by the database: how many, the average and the
    distribution of ratings, the sessions found most useful (most votes first), and the texts."""
    answers = Feedback.objects.filter(registration__event=event)
    totals = answers.aggregate(count=Count("pk"), average=Avg("rating"))
    distribution = dict.fromkeys(range(1, 6), 0)
    for rating, count in answers.order_by().values_list("rating").annotate(n=Count("pk")):
        distribution[rating] = count
    most_useful = [
        (title, count)
        for _pk, title, count in answers.filter(most_useful_session__isnull=False)
        .order_by()
        .values_list("most_useful_session", "most_useful_session__title")
        .annotate(n=Count("pk"))
        .order_by("-n", "most_useful_session__title")
    ]
    texts = list(answers.order_by("created_at", "pk").values_list("topics_wanted", "comments"))
    average = totals["average"]
    return {
        "count": totals["count"],
        "average": float(average) if average is not None else None,
        "distribution": distribution,
        "most_useful": most_useful,
        "topics_wanted": [topics for topics, _comments in texts if topics],
        "comments": [comments for _topics, comments in texts if comments],
    }


SURVEY_WINDOW = timedelta(days=14)


def survey_invitations_queue(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Queue the survey email for every attended registration without feedback of the events
    that ended in the last 14 days. Each person is invited once, however often this runs (the
    email's key is unique). Returns how many were queued (with `dry_run`, would be)."""
    now = now or timezone.now()
    due = list(
        Registration.objects.filter(
            attended=True,
            status=Registration.Status.CONFIRMED,
            feedback__isnull=True,
            event__status=Event.Status.PUBLISHED,
            event__end__lt=now,
            event__end__gte=now - SURVEY_WINDOW,
            user__is_active=True,
            user__anonymised_at__isnull=True,
        )
        .select_related("event", "user")
        .order_by("pk")
    )
    sent = set(
        EmailDelivery.objects.filter(key__in=[f"survey:{r.pk}" for r in due]).values_list(
            "key", flat=True
        )
    )
    due = [registration for registration in due if f"survey:{registration.pk}" not in sent]
    if dry_run:
        return len(due)
    for registration in due:
        # One transaction each: every email goes out as soon as its row is committed.
        with transaction.atomic():
            email_queue(registration=registration, kind="survey")
    return len(due)
