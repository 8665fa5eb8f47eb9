"""Time zones as people know them: "Geneva time (CEST, UTC+2)", not "Europe/Zurich".

Every page and email that says in which time zone a time is given names it through
`zone_label`, so that the agenda, the registration box, the event's facts and the emails agree.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.templatetags.tz import do_timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Zones whose IANA name is not the place people say. Geneva (WHO headquarters) keeps Swiss time,
# and the IANA database has Europe/Zurich but no Europe/Geneva.
PLACES = {
    "Europe/Zurich": gettext_lazy("Geneva"),
}
UNIVERSAL = {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "GMT", "Etc/GMT"}


def in_zone(value: datetime, zone) -> datetime:
    """The moment as wall-clock time in `zone` (a ZoneInfo or its name), marked so that
    templates print it unconverted (they would otherwise show it in the active time zone)."""
    return do_timezone(value, zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone)


def _key(zone) -> str:
    return getattr(zone, "key", None) or str(zone)


def zone_place(zone) -> str:
    """'Geneva', 'Nairobi', 'Addis Ababa': the place a zone is named after ("" for UTC)."""
    key = _key(zone)
    if key in UNIVERSAL or "/" not in key or key.startswith("Etc/"):
        return ""
    if key in PLACES:
        return str(PLACES[key])
    return key.rsplit("/", 1)[-1].replace("_", " ")


def utc_offset(value: datetime, zone) -> str:
    """'UTC+2', 'UTC+5:45', 'UTC-3', or 'UTC' at that moment in that zone."""
    offset = in_zone(value, zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_abbreviation(value: datetime, zone) -> str:
    """'CEST', 'EAT': the zone's abbreviation at that moment, or "" where the database only has
    a number (Asia/Kathmandu's '+0545'), which the offset says better."""
    name = in_zone(value, zone).tzname() or ""
    if not name or name[0] in "+-" or name.upper() in ("UTC", "GMT"):
        return ""
    return name


def zone_short(value: datetime, zone) -> str:
    """What follows a time: 'CEST', or the offset where the zone has no abbreviation."""
    return zone_abbreviation(value, zone) or utc_offset(value, zone)


def zone_label(value: datetime, zone) -> str:
    """'Geneva time (CEST, UTC+2)', 'Kathmandu time (UTC+5:45)', or 'UTC'."""
    place = zone_place(zone)
    offset = utc_offset(value, zone)
    if not place:
        return offset
    abbreviation = zone_abbreviation(value, zone)
    details = f"{abbreviation}, {offset}" if abbreviation else offset
    return _("%(place)s time (%(details)s)") % {"place": place, "details": details}
