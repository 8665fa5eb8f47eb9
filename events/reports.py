"""Reach of the events: how many people registered, came and from where, counted by the database.

What the figures count (the same in every table):

- **registrations**: every registration made, whatever became of it (cancelled and rejected ones
  too): the demand an event met.
- **confirmed**: registrations whose status is confirmed now (cancelled ones are not).
- **attended**: registrations marked as attended.
- **participants**: distinct people among the confirmed or attended registrations; a person
  registered for two events counts once.
- **countries**: distinct countries (as given when registering) among the confirmed registrations.

The period selects events by the day they start. Every function runs a fixed number of queries,
whatever the number of registrations.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import OrganisationType, WHORegion
from events.attendance import feedback_summary
from events.models import Event, Programme, Registration
from events.templatetags.event_tags import local_datetime
from repository.models import ProductAreaCode

CONFIRMED = Q(status=Registration.Status.CONFIRMED)
# The row of registrations whose event has no product area.
NOT_SPECIFIED = _("Not specified")
PARTICIPATED = CONFIRMED | Q(attended=True)


def _figures() -> dict:
    """The aggregates of every report row (see the module docstring for what each counts)."""
    # Prefixed: an alias may not share the name of a field ("attended") that a filter reads.
    return {
        "figure_registrations": Count("pk"),
        "figure_confirmed": Count("pk", filter=CONFIRMED),
        "figure_attended": Count("pk", filter=Q(attended=True)),
        "figure_participants": Count("user", distinct=True, filter=PARTICIPATED),
        "figure_countries": Count("country", distinct=True, filter=CONFIRMED & ~Q(country="")),
    }


def _named(row: dict) -> dict:
    return {key.removeprefix("figure_"): value for key, value in row.items()}


def registrations_for(
    *,
    programme: Programme | None = None,
    event: Event | None = None,
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[Registration]:
    """The registrations a report counts: of a programme, an event, events starting in a period."""
    registrations = Registration.objects.all()
    if programme is not None:
        registrations = registrations.filter(event__programme=programme)
    if event is not None:
        registrations = registrations.filter(event=event)
    if start is not None:
        registrations = registrations.filter(event__start__date__gte=start)
    if end is not None:
        registrations = registrations.filter(event__start__date__lte=end)
    return registrations


def _label(choices, code: str | None, blank: str = "–") -> str:
    if not code:
        return blank
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _rows(registrations: QuerySet[Registration], field: str, order: str = "-figure_registrations"):
    return [
        _named(row)
        for row in registrations.values(field).annotate(**_figures()).order_by(order, field)
    ]


def reach_report(
    *,
    programme: Programme | None = None,
    event: Event | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict:
    """Totals and the tables by WHO region, country, organisation type and product area.

    Five queries. A registration counts in the row of each product area of its event, so the
    product-area rows may add up to more than the total.
    """
    registrations = registrations_for(programme=programme, event=event, start=start, end=end)
    totals = _named(registrations.aggregate(**_figures()))
    by_region = [
        {**row, "code": row["who_region"], "label": _label(WHORegion, row["who_region"])}
        for row in _rows(registrations, "who_region")
    ]
    by_country = [
        {
            **row,
            "code": row["country"],
            "label": countries.name(row["country"]) if row["country"] else "–",
        }
        for row in _rows(registrations, "country")
    ]
    by_organisation_type = [
        {
            **row,
            "code": row["organisation_type"],
            "label": _label(OrganisationType, row["organisation_type"]),
        }
        for row in _rows(registrations, "organisation_type")
    ]
    by_product_area = [
        {
            **row,
            "code": row["event__product_areas__code"] or "",
            "label": _label(
                ProductAreaCode, row["event__product_areas__code"], blank=str(NOT_SPECIFIED)
            ),
        }
        for row in _rows(registrations, "event__product_areas__code")
    ]
    return {
        "totals": totals,
        "by_region": by_region,
        "by_country": by_country,
        "by_organisation_type": by_organisation_type,
        "by_product_area": by_product_area,
    }


def year_over_year(*, programme: Programme) -> list[dict]:
    """One row per edition year of a programme, oldest first, with the figures of the report.

    One query; years whose events had no registrations do not appear.
    """
    return [
        {**row, "year": row["event__edition_year"], "label": str(row["event__edition_year"])}
        for row in _rows(
            Registration.objects.filter(event__programme=programme),
            "event__edition_year",
            order="event__edition_year",
        )
    ]


# --- One event ---------------------------------------------------------------------------------


def registration_summary(*, event: Event) -> dict:
    """The figures of one event's registrations, each counted by the database.

    The tables by country, region and type of organisation count the registrations that are
    still active (confirmed, waiting or pending) and, of them, the people who attended.
    """
    registrations = Registration.objects.filter(event=event)
    Status = Registration.Status
    totals = registrations.aggregate(
        all=Count("pk"),
        present=Count("pk", filter=Q(attended=True)),
        **{f"status_{status}": Count("pk", filter=Q(status=status)) for status in Status.values},
    )

    def table(field: str) -> list[dict]:
        return list(
            registrations.filter(status__in=Registration.ACTIVE)
            .values(field)
            .annotate(registrations=Count("pk"), present=Count("pk", filter=Q(attended=True)))
            .order_by("-registrations", field)
        )

    by_country = [
        {**row, "label": countries.name(row["country"]) if row["country"] else "–"}
        for row in table("country")
    ]
    by_region = [
        {**row, "label": _label(WHORegion, row["who_region"])} for row in table("who_region")
    ]
    by_type = [
        {**row, "label": _label(OrganisationType, row["organisation_type"])}
        for row in table("organisation_type")
    ]
    sessions = [
        {
            "title": session.title,
            "start": local_datetime(session.start, event.tz),
            "present": session.present,
        }
        for session in event.sessions.annotate(present=Count("attendances")).order_by("start", "pk")
    ]
    confirmed = totals[f"status_{Status.CONFIRMED}"]
    event.seats_taken_count = confirmed  # counted above: `seats_left` needs no other query
    return {
        "statuses": [
            (_("Registered (all)"), totals["all"]),
            (Status.CONFIRMED.label, confirmed),
            (Status.WAITLISTED.label, totals[f"status_{Status.WAITLISTED}"]),
            (Status.PENDING.label, totals[f"status_{Status.PENDING}"]),
            (Status.CANCELLED.label, totals[f"status_{Status.CANCELLED}"]),
            (Status.REJECTED.label, totals[f"status_{Status.REJECTED}"]),
        ],
        "attended": totals["present"],
        "capacity": event.capacity,
        "seats_left": event.seats_left(),
        "countries": by_country,
        "countries_count": sum(1 for row in by_country if row["country"]),
        "countries_attended_count": sum(
            1 for row in by_country if row["country"] and row["present"]
        ),
        "regions": by_region,
        "organisation_types": by_type,
        "sessions": sessions,
        "sessions_required": event.sessions_required,
        "feedback": feedback_summary(event=event),
    }
