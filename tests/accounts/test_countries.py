"""The country list of sign-up and the profile is WHO's: official names, Member States and
Associate Members first; other territories are labelled as having no WHO region."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.forms import ProfileForm
from accounts.regions import country_choices, country_name, member_states
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _groups():
    _blank, (_members_label, members), (_others_label, others) = country_choices()
    return dict(members), dict(others)


def test_members_and_associate_members_first_by_their_official_names():
    members, _others = _groups()
    assert set(members) == set(member_states())
    assert members["IR"] == "Iran (Islamic Republic of)"
    assert members["VN"] == "Viet Nam"
    assert members["TR"] == "Türkiye"
    assert members["RU"] == "Russian Federation"
    assert members["NR"] == "Nauru"
    assert members["PR"] == "Puerto Rico"  # an Associate Member
    names = list(members.values())
    assert names.index("Côte d'Ivoire") < names.index("Croatia")
    assert "Russia" not in names and "Vietnam" not in names


def test_other_territories_say_they_have_no_who_region_and_empty_ones_are_left_out():
    members, others = _groups()
    assert not set(members) & set(others)
    assert "AQ" not in others and "AQ" not in members  # Antarctica
    assert others["TW"].endswith("(not a WHO Member State: no WHO region)")
    assert all("no WHO region" in label for label in others.values())


def test_names_follow_the_language():
    with translation.override("fr"):
        assert country_name("RU") == "Fédération de Russie"
        assert country_name("KR") == "République de Corée"
        _blank, (members_label, _members), (_others_label, others) = country_choices()
        assert members_label == "États Membres et Membres associés de l’OMS"
        assert all("aucune région de l’OMS" in label for _code, label in others)


# WHO's (the United Nations') names, not the common ones: Viet Nam, Türkiye, Iran (Islamic
# Republic of), the Republic of Korea.
WHO_NAMES = {
    "fr": {"VN": "Viet Nam", "TR": "Türkiye", "IR": "Iran (République islamique d')"},
    "es": {"VN": "Viet Nam", "TR": "Türkiye", "IR": "Irán (República Islámica del)"},
    "ru": {"VN": "Вьетнам", "IR": "Иран (Исламская Республика)", "KR": "Республика Корея"},
    "zh-hans": {"VN": "越南", "IR": "伊朗伊斯兰共和国", "KR": "大韩民国"},
    "ar": {"VN": "فييت نام", "IR": "إيران (جمهورية - الإسلامية)", "KR": "جمهورية كوريا"},
}


@pytest.mark.parametrize("language", WHO_NAMES)
def test_names_are_who_s_in_each_of_its_languages(language):
    with translation.override(language):
        for code, name in WHO_NAMES[language].items():
            assert country_name(code) == name
        members, _others = _groups()
    assert set(members) == set(member_states())
    for code, name in WHO_NAMES[language].items():
        assert members[code] == name


@pytest.mark.parametrize(
    ("language", "before", "after"),
    [
        ("fr", "Égypte", "Équateur"),  # accents do not count: "egy" < "equ"
        ("es", "Bélgica", "Benin"),  # é as e: "bel" < "ben"
        ("ru", "Австрия", "Азербайджан"),
        ("ru", "Эсватини", "Южная Африка"),  # Э, Ю, Я at the end, in that order
        ("ar", "الأرجنتين", "الإمارات العربية المتحدة"),  # the alef with hamza as alef
        ("zh-hans", "中国", "乌克兰"),  # code points: 中 (U+4E2D) < 乌 (U+4E4C)
    ],
)
def test_countries_are_in_the_order_of_the_language(language, before, after):
    with translation.override(language):
        members, _others = _groups()
    names = list(members.values())
    assert names.index(before) < names.index(after)


@pytest.mark.parametrize(("language", "name"), [("ar", "فييت نام"), ("zh-hans", "越南")])
def test_the_signup_form_names_countries_in_the_page_s_language(client, language, name):
    with translation.override(language):
        url = reverse("account_signup")
    html = client.get(url).content.decode()
    assert f'<option value="VN">{name}</option>' in html
    assert ">Viet Nam<" not in html


def test_the_signup_form_offers_the_who_list(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert '<optgroup label="WHO Member States and Associate Members">' in html
    assert re.search(r'<option value="IR">Iran \(Islamic Republic of\)</option>', html)
    assert "Taiwan (not a WHO Member State: no WHO region)" in html
    assert ">Antarctica" not in html


def test_a_territory_gets_an_explicit_no_region(client):
    user = UserFactory(country="KE")
    client.force_login(user)
    form = ProfileForm(
        data={
            "full_name": "A person",
            "organisation": "Org",
            "organisation_type": "manufacturer",
            "country": "PS",
            "preferred_language": "en",
        }
    )
    assert form.is_valid(), form.errors
    client.post(reverse("accounts:profile"), form.data)
    user.refresh_from_db()
    assert user.country.code == "PS" and user.who_region == ""
    html = client.get(reverse("accounts:overview")).content.decode()
    assert "No WHO region (not a WHO Member State)" in html
    # A member state sets its region.
    form.data["country"] = "VN"
    client.post(reverse("accounts:profile"), form.data)
    user.refresh_from_db()
    assert user.who_region == "WPRO"
    assert "Viet Nam" in client.get(reverse("accounts:overview")).content.decode()


def test_a_code_outside_every_list_is_refused(client):
    form = ProfileForm(
        data={
            "full_name": "A person",
            "organisation": "Org",
            "organisation_type": "manufacturer",
            "country": "AQ",
            "preferred_language": "en",
        }
    )
    assert not form.is_valid()
    assert "country" in form.errors
