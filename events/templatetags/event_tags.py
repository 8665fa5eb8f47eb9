"""Dates and times of events, always said in a named time zone, and the state of their
registration at a glance."""

import re
from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from events import times
from events.models import Event, RegistrationStatus

register = template.Library()


# The year of a date format and what joins it to the rest: " Y", "، Y", " \d\e Y", " Y г.".
YEAR_AT_THE_END = re.compile(r"(?:\s*(?:\\.)+)*\s*[,،]?\s*Y.*$")
YEAR_FIRST = re.compile(r"^Y\W*(?:\\.|[^jdFEMNnmbw\\])*")


@register.simple_tag
def date_range(start: datetime, end: datetime, zone) -> str:
    """'12–16 June 2023', '10 September – 10 October 2024' or '26 Nov 2019 – 3 Jan 2020',
    with the dates as they fall in the given time zone, in the order and words of the active
    language's date format: '10 сентября – 10 октября 2024 г.', '2024年9月10日–10月10日'."""
    start, end = times.in_zone(start, zone), times.in_zone(end, zone)
    full = get_format("DATE_FORMAT")
    if start.date() == end.date():
        return date_format(start, full)
    if start.year != end.year:
        return f"{date_format(start, full)} – {date_format(end, full)}"
    if full.startswith("Y"):  # the year first (Chinese): said once, at the start
        return f"{date_format(start, full)}–{date_format(end, YEAR_FIRST.sub('', full))}"
    if start.month != end.month:
        return f"{date_format(start, YEAR_AT_THE_END.sub('', full))} – {date_format(end, full)}"
    return f"{date_format(start, 'j')}–{date_format(end, full)}"


@register.simple_tag
def zone_label(value: datetime, zone) -> str:
    """The zone as people know it at that moment: 'Geneva time (CEST, UTC+2)'."""
    return times.zone_label(value, zone)


@register.simple_tag
def zone_short(value: datetime, zone) -> str:
    """What follows a time of day: 'CEST', or 'UTC+5:45' where the zone has no abbreviation."""
    return times.zone_short(value, zone)


@register.filter
def in_zone(value: datetime, zone) -> datetime:
    return times.in_zone(value, zone)


@register.simple_tag
def local_datetime(value: datetime, zone) -> str:
    """'10 March 2027, 09:00, Geneva time (CET, UTC+1)': the moment as the event's clocks show
    it, and the zone as people know it."""
    local = times.in_zone(value, zone)
    return (
        f"{date_format(local, get_format('DATE_FORMAT'))}, {local:%H:%M}, "
        f"{times.zone_label(value, zone)}"
    )


@dataclass
class Badge:
    code: str
    label: str
    tone: str  # success, warning, primary or "" (muted)


@register.simple_tag
def registration_badge(event: Event) -> Badge | None:
    """The state of an event's registration for a card: Open, Few places left, Full – waiting
    list, Approval required, Opens on 3 May, Closed… (None when a card needs none: an ended
    event, or one with no registration)."""
    status = event.registration_status()
    if status == RegistrationStatus.NOT_YET:
        opens = date_format(times.in_zone(event.registration_opens, event.tz), "j F")
        return Badge(status, _("Opens on %(date)s") % {"date": opens}, "primary")
    labels = {
        RegistrationStatus.CANCELLED: (_("Cancelled"), "warning"),
        RegistrationStatus.POSTPONED: (_("Postponed"), "warning"),
        RegistrationStatus.CLOSED: (_("Registration closed"), ""),
        RegistrationStatus.EXTERNAL: (_("Registration on another website"), "primary"),
        RegistrationStatus.INVITATION: (_("By invitation"), ""),
        RegistrationStatus.APPROVAL: (_("Approval required"), "primary"),
        RegistrationStatus.FULL: (_("Full – waiting list"), "warning"),
        RegistrationStatus.FEW_LEFT: (_("Few places left"), "warning"),
        RegistrationStatus.OPEN: (_("Registration open"), "success"),
    }
    if status not in labels:
        return None
    label, tone = labels[status]
    return Badge(status, label, tone)
