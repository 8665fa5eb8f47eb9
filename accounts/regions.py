"""WHO regions and the mapping of WHO Member States to them.

The data lives in ``data/who_member_states.csv`` (columns
``iso2,name,region,status,name_fr,name_ar,name_es,name_ru,name_zh``): one row for each of the
194 WHO Member States (``status=member``) plus the WHO Associate Members Puerto Rico (AMRO) and
Tokelau (WPRO) (``status=associate``), with the official names WHO uses (those of the United
Nations' terminology) in its six languages: English, French, Arabic, Spanish, Russian and
Chinese (``name_<language>``; a language without its column gets the English name). Country
codes are ISO 3166-1 alpha-2 as used by django-countries.

Source: the WHO list of Member States by WHO region (who.int, "Countries" /
regional office pages). The 194 Member States are the 193 UN members minus
Liechtenstein plus the Cook Islands and Niue. Palestine (observer), the Holy
See and Taiwan are not Member States.

Indonesia moved from the South-East Asia Region (SEARO) to the Western Pacific
Region (WPRO) by decision of the 78th World Health Assembly (May 2025). The
counts are therefore AFRO 47, AMRO 35, SEARO 10, EURO 53, EMRO 21, WPRO 28
(before the move SEARO had 11 and WPRO 27).

The sign-up and profile forms offer these countries first, by their WHO names
(`country_choices`); other territories come after them, each labelled as having
no WHO region, so that nobody gets no region without being told.

This module needs no Django models and no configured settings at import time;
the region labels are lazy translations.
"""

from __future__ import annotations

import csv
import unicodedata
from functools import cache
from pathlib import Path

from django.utils.translation import get_language, gettext
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


# Territories with no permanent population, which nobody works in: not offered at all.
UNINHABITED = frozenset({"AQ", "BV", "GS", "HM", "TF", "UM"})


@cache
def _rows() -> dict[str, dict[str, str]]:
    """ISO alpha-2 code -> the CSV row, loaded once."""
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        return {
            row["iso2"].strip().upper(): {key: value.strip() for key, value in row.items()}
            for row in csv.DictReader(f)
        }


@cache
def member_states() -> dict[str, str]:
    """Return a mapping of ISO alpha-2 code -> WHO region code.

    Includes Member States and Associate Members. Loaded once from the CSV.
    """
    return {code: row["region"] for code, row in _rows().items()}


def country_name(iso2: str | None) -> str:
    """The country's name in the active language: WHO's official name for a Member State or
    Associate Member ("Iran (Islamic Republic of)", "Viet Nam", "Türkiye"), else the name
    django-countries gives the territory ("" for no country)."""
    if not iso2:
        return ""
    code = str(iso2).strip().upper()
    row = _rows().get(code)
    if row is not None:
        language = (get_language() or "en").split("-")[0]
        return row.get(f"name_{language}") or row["name"]
    from django_countries import countries

    return str(countries.name(code))


def _sort_key(name: str) -> str:
    """The order of names in a list, whatever their script, without a collation library:
    letters without their accents and marks, then case. "Émirats", "Îles Cook" and "Côte
    d'Ivoire" sort among the E, I and C; "Ёмкость" with "Е"; Arabic letters with hamza or madda
    (أ, إ, آ) with alef. Within a script the order is that of the code points: the alphabet for
    Latin, Cyrillic and, nearly, Arabic; for Chinese, Unicode's order of radicals and strokes,
    not pinyin."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def country_choices() -> list:
    """The choices of a country field, in the active language: WHO Member States and Associate
    Members by their official names, then the other territories, each labelled as having no
    WHO region (none that nobody lives in)."""
    from django_countries import countries

    members = sorted(
        ((code, country_name(code)) for code in member_states()), key=lambda c: _sort_key(c[1])
    )
    others = sorted(
        (
            (
                code,
                gettext("%(name)s (not a WHO Member State: no WHO region)") % {"name": name},
            )
            for code, name in countries
            if code not in member_states() and code not in UNINHABITED
        ),
        key=lambda c: _sort_key(c[1]),
    )
    return [
        ("", gettext("Choose your country")),
        (gettext("WHO Member States and Associate Members"), members),
        (gettext("Other territories (no WHO region)"), others),
    ]


def region_for_country(iso2: str | None) -> str:
    """Return the WHO region code for a country code, or ``""`` if none.

    The lookup is case-insensitive. Countries that are not WHO Member States or
    Associate Members (e.g. Liechtenstein, Palestine, Taiwan) and empty/None
    input give ``""``.
    """
    if not iso2:
        return ""
    return member_states().get(str(iso2).strip().upper(), "")
