"""WHO regions and the mapping of WHO Member States to them.

The data lives in ``data/who_member_states.csv`` (columns
``iso2,name,region,status``): one row for each of the 194 WHO Member States
(``status=member``) plus the WHO Associate Members Puerto Rico (AMRO) and
Tokelau (WPRO) (``status=associate``). Country codes are ISO 3166-1 alpha-2 as
used by django-countries.

Source: the WHO list of Member States by WHO region (who.int, "Countries" /
regional office pages). The 194 Member States are the 193 UN members minus
Liechtenstein plus the Cook Islands and Niue. Palestine (observer), the Holy
See and Taiwan are not Member States.

Indonesia moved from the South-East Asia Region (SEARO) to the Western Pacific
Region (WPRO) by decision of the 78th World Health Assembly (May 2025). The
counts are therefore AFRO 47, AMRO 35, SEARO 10, EURO 53, EMRO 21, WPRO 28
(before the move SEARO had 11 and WPRO 27).

This module needs no Django models and no configured settings at import time;
the region labels are lazy translations.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

DATA_FILE = Path(__file__).parent / "data" / "who_member_states.csv"

REGIONS = (
    ("AFRO", _("African Region")),
    ("AMRO", _("Region of the Americas")),
    ("SEARO", _("South-East Asia Region")),
    ("EURO", _("European Region")),
    ("EMRO", _("Eastern Mediterranean Region")),
    ("WPRO", _("Western Pacific Region")),
)


@cache
def member_states() -> dict[str, str]:
    """Return a mapping of ISO alpha-2 code -> WHO region code.

    Includes Member States and Associate Members. Loaded once from the CSV.
    """
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        return {row["iso2"].strip().upper(): row["region"].strip() for row in csv.DictReader(f)}


def region_for_country(iso2: str | None) -> str:
    """Return the WHO region code for a country code, or ``""`` if none.

    The lookup is case-insensitive. Countries that are not WHO Member States or
    Associate Members (e.g. Liechtenstein, Palestine, Taiwan) and empty/None
    input give ``""``.
    """
    if not iso2:
        return ""
    return member_states().get(str(iso2).strip().upper(), "")
