"""What the modules of the events admin share: time zones, read-only pages, CSV answers."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

UTC = zoneinfo.ZoneInfo("UTC")
# A link pasted without its scheme is taken as https (Django 6's default).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}

# The areas of the IANA database, as its names begin, with a translatable heading for each.
TIME_ZONE_REGIONS = {
    "Africa": _("Africa"),
    "America": _("Americas"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic Ocean"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific Ocean"),
}


@cache
def canonical_time_zones() -> tuple[str, ...]:
    """The canonical zones of the IANA database (its "Zone" entries, not the links such as
    Asia/Calcutta or US/Eastern), from the tzdata package (installed with icalendar), else from
    the system's zone files."""
    try:
        source = resources.files("tzdata").joinpath("zoneinfo/tzdata.zi").read_text()
    except ModuleNotFoundError:
        folder = next(path for path in zoneinfo.TZPATH if Path(path, "tzdata.zi").exists())
        source = Path(folder, "tzdata.zi").read_text()
    names = {line.split()[1] for line in source.splitlines() if line.startswith("Z ")}
    return tuple(sorted(name for name in names if name.split("/", 1)[0] in TIME_ZONE_REGIONS))


def time_zone_choices(current: str = "") -> list:
    """UTC, then the canonical zones grouped by region (for a <select> with <optgroup>s), each
    shown as its place ("Buenos Aires (Argentina)"); a stored name that is not among them (an
    old alias) is offered as it is, so that it still shows."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in canonical_time_zones():
        region, place = name.split("/", 1)
        parts = place.replace("_", " ").split("/")
        label = parts[-1] if len(parts) == 1 else f"{parts[-1]} ({', '.join(parts[:-1])})"
        groups.setdefault(region, []).append((name, label))
    choices: list = [("UTC", "UTC")]
    if current and current != "UTC" and current not in canonical_time_zones():
        choices.append((current, current))
    choices += [
        (TIME_ZONE_REGIONS[region], sorted(options, key=lambda option: option[1]))
        for region, options in groups.items()
    ]
    return choices


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name) if name else UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def local(value: datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    if value is None:
        return "–"
    return f"{timezone.localtime(value, tz):%Y-%m-%d %H:%M} ({tz.key})"


def choice_label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code or "–"


def csv_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReadOnlyAdminMixin:
    """A record to look at, never to add, change or delete from the admin (the outbox, the
    survey answers, what people follow, a registration's history). Works for inlines too."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
