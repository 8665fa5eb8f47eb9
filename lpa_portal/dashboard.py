"""The staff dashboard: the admin's first page says what waits for staff, each figure a link to
the filtered list where they act on it.

A panel is a function of the request that returns a `Panel`, or None when the person may not
see it; `PANELS` is the list shown, in order. A panel of another app is added by appending its
function (as the requests for restricted files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events import selectors as event_selectors
from events.models import EmailDelivery, Registration
from repository.access_requests import pending_access_requests_by_resource
from repository.models import AccessRequest


@dataclass
class Row:
    label: str
    url: str = ""  # where the label leads
    figures: list[tuple[str, str]] = field(default_factory=list)  # (figure, link to the list)
    note: str = ""


@dataclass
class Panel:
    id: str
    title: str
    headings: list[str]  # the label column, then one per figure
    rows: list[Row]
    empty: str  # what the panel says when nothing waits
    more_url: str = ""
    more_label: str = ""


def _list_url(name: str, **filters) -> str:
    url = reverse(f"admin:{name}")
    return f"{url}?{urlencode(filters)}" if filters else url


def pending_requests_panel(request) -> Panel | None:
    if not request.user.has_perm("events.change_registration"):
        return None
    events = event_selectors.pending_requests_by_event()
    pending = Registration.Status.PENDING
    return Panel(
        id="pending-requests",
        title=_("Registration requests to approve"),
        headings=[_("Event"), _("Waiting")],
        rows=[
            Row(
                label=event.title,
                url=reverse("admin:events_event_change", args=[event.pk]),
                figures=[
                    (
                        str(event.pending_count),
                        _list_url(
                            "events_registration_changelist",
                            event__id__exact=event.pk,
                            status__exact=pending,
                        ),
                    )
                ],
            )
            for event in events
        ],
        empty=_("No request waits for approval."),
        more_url=_list_url("events_registration_changelist", status__exact=pending),
        more_label=_("All requests waiting (select them, then “Approve selected requests”)"),
    )


def open_events_panel(request) -> Panel | None:
    if not request.user.has_perm("events.view_registration"):
        return None
    rows = []
    for event in event_selectors.events_open_with_fill():
        taken = event.seats_taken()
        if event.capacity is None:
            fill = ngettext("%(count)d confirmed", "%(count)d confirmed", taken) % {"count": taken}
        else:
            fill = _("%(taken)d of %(capacity)d seats (%(left)d left)") % {
                "taken": taken,
                "capacity": event.capacity,
                "left": event.seats_left(),
            }
        rows.append(
            Row(
                label=event.title,
                url=reverse("admin:events_event_change", args=[event.pk]),
                figures=[
                    (
                        fill,
                        _list_url(
                            "events_registration_changelist",
                            event__id__exact=event.pk,
                            status__exact=Registration.Status.CONFIRMED,
                        ),
                    ),
                    (
                        str(event.waiting_count),
                        _list_url(
                            "events_registration_changelist",
                            event__id__exact=event.pk,
                            status__exact=Registration.Status.WAITLISTED,
                        ),
                    ),
                ],
            )
        )
    return Panel(
        id="open-events",
        title=_("Events open for registration"),
        headings=[_("Event"), _("Confirmed"), _("Waiting list")],
        rows=rows,
        empty=_("No event takes registrations now."),
        more_url=_list_url("events_event_changelist", status__exact="published"),
        more_label=_("All published events"),
    )


def failed_emails_panel(request) -> Panel | None:
    if not request.user.has_perm("events.view_emaildelivery"):
        return None
    counts = event_selectors.failed_emails_by_status()
    rows = [
        Row(
            label=str(EmailDelivery.Status(status).label),
            figures=[
                (
                    str(count),
                    _list_url("events_emaildelivery_changelist", status__exact=status),
                )
            ],
        )
        for status, count in counts.items()
        if count
    ]
    return Panel(
        id="failed-emails",
        title=_("Emails that failed"),
        headings=[_("Status"), _("Emails")],
        rows=rows,
        empty=_("No email has failed."),
        more_url=_list_url("events_emaildelivery_changelist"),
        more_label=_("All emails"),
    )


def recent_feedback_panel(request) -> Panel | None:
    if not request.user.has_perm("events.view_feedback"):
        return None
    rows = [
        Row(
            label=feedback.registration.event.title,
            url=_list_url(
                "events_feedback_changelist",
                registration__event__id__exact=feedback.registration.event_id,
            ),
            figures=[
                (
                    _("%(rating)d/5") % {"rating": feedback.rating},
                    reverse("admin:events_feedback_change", args=[feedback.pk]),
                )
            ],
            note=feedback.comments[:140],
        )
        for feedback in event_selectors.recent_feedback()
    ]
    return Panel(
        id="recent-feedback",
        title=_("Recent feedback"),
        headings=[_("Event"), _("Rating")],
        rows=rows,
        empty=_("No feedback yet."),
        more_url=_list_url("events_feedback_changelist"),
        more_label=_("All feedback"),
    )


def restricted_file_requests_panel(request) -> Panel | None:
    if not request.user.has_perm("repository.change_accessrequest"):
        return None
    pending = AccessRequest.Status.PENDING
    rows = [
        Row(
            label=resource.title,
            url=reverse("admin:repository_resource_change", args=[resource.pk]),
            figures=[
                (
                    str(resource.pending_count),
                    _list_url(
                        "repository_accessrequest_changelist",
                        file__resource__id__exact=resource.pk,
                        status__exact=pending,
                    ),
                )
            ],
        )
        for resource in pending_access_requests_by_resource()
    ]
    return Panel(
        id="restricted-file-requests",
        title=_("Requests for restricted files waiting"),
        headings=[_("Resource"), _("Waiting")],
        rows=rows,
        empty=_("No request for a restricted file waits."),
        more_url=_list_url("repository_accessrequest_changelist", status__exact=pending),
        more_label=_("All requests waiting (grant or refuse each in one click)"),
    )


PANELS: list[Callable] = [
    pending_requests_panel,
    restricted_file_requests_panel,
    open_events_panel,
    failed_emails_panel,
    recent_feedback_panel,
]


def dashboard_panels(request) -> list[Panel]:
    """The panels this person may see, in order."""
    return [panel for make in PANELS if (panel := make(request)) is not None]
