"""Dates and times of events, always said in a named time zone."""

from datetime import datetime

from django import template
from django.templatetags.tz import do_timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django.utils.translation import gettext as _

register = template.Library()


def _local(value: datetime, zone) -> datetime:
    return do_timezone(value, zone)


@register.simple_tag
def date_range(start: datetime, end: datetime, zone) -> str:
    """'12–16 June 2023', '10 September – 10 October 2024' or '26 Nov 2019 – 3 Jan 2020',
    with the dates as they fall in the given time zone."""
    start, end = _local(start, zone), _local(end, zone)
    full = get_format("DATE_FORMAT")
    if start.date() == end.date():
        return date_format(start, full)
    if start.year != end.year:
        return f"{date_format(start, full)} – {date_format(end, full)}"
    if start.month != end.month:
        return f"{date_format(start, 'j F')} – {date_format(end, full)}"
    return f"{date_format(start, 'j')}–{date_format(end, full)}"


@register.simple_tag
def zone_label(value: datetime, zone) -> str:
    """The zone's name and its offset at that moment: 'Europe/Zurich (UTC+02:00)'."""
    local = _local(value, zone)
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"
    return _("%(zone)s (UTC%(offset)s)") % {
        "zone": getattr(zone, "key", str(zone)),
        "offset": offset,
    }


@register.filter
def in_zone(value: datetime, zone) -> datetime:
    return _local(value, zone)


@register.simple_tag
def local_datetime(value: datetime, zone) -> str:
    """'10 March 2027, 09:00 (Europe/Zurich)': the moment as the event's clocks show it."""
    local = _local(value, zone)
    return f"{date_format(local, get_format('DATE_FORMAT'))}, {local:%H:%M} ({zone.key})"
