"""Registrations as a spreadsheet (CSV) for the organisers of an event."""

from __future__ import annotations

import csv
import io
from datetime import UTC

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrganisationType, PersonalDataExport, User, WHORegion
from accounts.services import personal_data_export_record
from events.models import Question, Registration

# A cell starting with one of these is read as a formula by Excel and LibreOffice; a registrant
# could type "=HYPERLINK(…)" as their name. The quote makes the spreadsheet show it as text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def answer_text(value) -> str:
    """One answer as people read it: lists joined with "; ", yes/no in words, nothing as blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return "; ".join(answer_text(item) for item in value)
    return str(value)


def _label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def registrations_csv(
    *, queryset: QuerySet[Registration], questions_by_event: dict[int, list[Question]] | None = None
) -> tuple[str, bytes]:
    """The registrations as a CSV file for Excel: its name and its bytes (UTF-8 with a BOM).

    One row per registration. When the registrations are all of one event, its own questions
    follow as one column each; `questions_by_event` ({event id: questions}) saves looking them
    up. Every text cell that a spreadsheet would run as a formula is neutralised. The queries do
    not grow with the number of rows.
    """
    return _registrations_csv(registrations=_rows(queryset), questions_by_event=questions_by_event)


def registrations_csv_export(
    *,
    queryset: QuerySet[Registration],
    by: User,
    description: str,
    parameters: dict | None = None,
) -> tuple[str, bytes]:
    """The registrants CSV for a member of staff, recorded in the export log: who took it,
    when, what (`description`, and the event or admin filters in `parameters`) and how many rows.
    """
    registrations = _rows(queryset)
    filename, content = _registrations_csv(registrations=registrations)
    personal_data_export_record(
        actor=by,
        kind=PersonalDataExport.Kind.REGISTRATIONS_CSV,
        description=description,
        row_count=len(registrations),
        parameters={
            **(parameters or {}),
            "events": sorted({registration.event_id for registration in registrations}),
        },
    )
    return filename, content


def _rows(queryset: QuerySet[Registration]) -> list[Registration]:
    return list(
        queryset.select_related("event", "user")
        .annotate(sessions_attended=Count("attendances"))
        .order_by("event__start", "event_id", "created_at", "pk")
    )


def _registrations_csv(
    *,
    registrations: list[Registration],
    questions_by_event: dict[int, list[Question]] | None = None,
) -> tuple[str, bytes]:
    event_ids = {registration.event_id for registration in registrations}
    questions: list[Question] = []
    if len(event_ids) == 1:
        (event_id,) = event_ids
        if questions_by_event is not None:
            questions = list(questions_by_event.get(event_id, []))
        else:
            questions = list(Question.objects.filter(event_id=event_id))

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Event"),
            _("Status"),
            _("Full name"),
            _("Email"),
            _("Organisation"),
            _("Organisation type"),
            _("Job title"),
            _("Country"),
            _("WHO region"),
            _("Registered at (UTC)"),
            _("Attended"),
            _("Sessions attended"),
            *(_cell(question.label) for question in questions),
        ]
    )
    for registration in registrations:
        answers = registration.answers or {}
        row = [
            registration.event.title,
            registration.get_status_display(),
            registration.full_name,
            registration.user.email,
            registration.organisation,
            _label(OrganisationType, registration.organisation_type),
            registration.job_title,
            registration.country.name if registration.country else "",
            _label(WHORegion, registration.who_region),
            timezone.localtime(registration.created_at, UTC).replace(microsecond=0).isoformat(),
            _("Yes") if registration.attended else _("No"),
            registration.sessions_attended,
        ]
        for question in questions:
            answer = answers.get(str(question.pk))
            row.append(answer_text(answer.get("answer") if isinstance(answer, dict) else answer))
        writer.writerow([_cell(value) for value in row])

    if len(event_ids) == 1:
        slug = registrations[0].event.slug
        filename = f"registrations-{slug}-{timezone.now():%Y%m%d}.csv"
    else:
        filename = f"registrations-{timezone.now():%Y%m%d}.csv"
    # The BOM tells Excel the file is UTF-8; without it, names in other scripts are garbled.
    return filename, buffer.getvalue().encode("utf-8-sig")
