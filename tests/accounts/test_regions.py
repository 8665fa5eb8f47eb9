"""Tests for accounts.regions (no database or Django settings needed)."""

import csv
from collections import Counter

import pytest
from django_countries.data import COUNTRIES

from accounts.regions import DATA_FILE, REGIONS, member_states, region_for_country


def _rows():
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_header():
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == [
            "iso2",
            "name",
            "region",
            "status",
            "name_fr",
            "name_ar",
            "name_es",
            "name_ru",
            "name_zh",
        ]


# Each language's names are written in its script (a name pasted into the wrong column shows).
SCRIPTS = {
    "name_ar": "ARABIC",
    "name_ru": "CYRILLIC",
    "name_zh": "CJK",
    "name_es": "LATIN",
    "name_fr": "LATIN",
}


@pytest.mark.parametrize("column", SCRIPTS)
def test_every_name_in_every_language_in_its_script(column):
    import unicodedata

    for row in _rows():
        letters = [c for c in row[column] if c.isalpha()]
        assert letters, (row["iso2"], column)
        assert all(SCRIPTS[column] in unicodedata.name(c) for c in letters), (row["iso2"], column)


def test_exactly_194_member_states():
    rows = _rows()
    assert sum(1 for r in rows if r["status"] == "member") == 194
    assert {r["status"] for r in rows} == {"member", "associate"}
    associates = {r["iso2"]: r["region"] for r in rows if r["status"] == "associate"}
    assert associates == {"PR": "AMRO", "TK": "WPRO"}


def test_rows_unique_sorted_and_valid_regions():
    rows = _rows()
    codes = [r["iso2"] for r in rows]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    valid = {code for code, _label in REGIONS}
    assert all(r["region"] in valid for r in rows)
    assert all(r["name"] and r["name_fr"] for r in rows)


def test_per_region_counts():
    counts = Counter(r["region"] for r in _rows() if r["status"] == "member")
    assert counts == {
        "AFRO": 47,
        "AMRO": 35,
        "SEARO": 10,
        "EURO": 53,
        "EMRO": 21,
        "WPRO": 28,
    }


def test_regions_order():
    assert [code for code, _label in REGIONS] == ["AFRO", "AMRO", "SEARO", "EURO", "EMRO", "WPRO"]


def test_indonesia_is_wpro():
    assert region_for_country("ID") == "WPRO"


@pytest.mark.parametrize(
    ("iso2", "region"),
    [
        ("NG", "AFRO"),
        ("BR", "AMRO"),
        ("IN", "SEARO"),
        ("NP", "SEARO"),
        ("TH", "SEARO"),
        ("FR", "EURO"),
        ("EG", "EMRO"),
        ("ET", "AFRO"),
        ("PH", "WPRO"),
        ("CK", "WPRO"),
        ("NU", "WPRO"),
        ("DZ", "AFRO"),
        ("SS", "AFRO"),
        ("SD", "EMRO"),
        ("IL", "EURO"),
        ("TR", "EURO"),
        ("PK", "EMRO"),
        ("TL", "SEARO"),
        ("PR", "AMRO"),
        ("TK", "WPRO"),
    ],
)
def test_spot_checks(iso2, region):
    assert region_for_country(iso2) == region


@pytest.mark.parametrize("iso2", ["LI", "PS", "TW", "VA", "", None, "XX"])
def test_non_members_give_empty_string(iso2):
    assert region_for_country(iso2) == ""


def test_lowercase_input():
    assert region_for_country("id") == "WPRO"
    assert region_for_country("fr") == "EURO"


def test_member_states_mapping():
    mapping = member_states()
    assert len(mapping) == 196  # 194 members + 2 associate members
    assert member_states() is mapping  # cached


def test_codes_known_to_django_countries():
    unknown = [r["iso2"] for r in _rows() if r["iso2"] not in COUNTRIES]
    assert unknown == []
