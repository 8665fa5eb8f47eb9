"""Right to left: Arabic pages say so (`<html dir="rtl">`), and what reads left to right in
any language (reference numbers, codes, email addresses, times, the digits of dates) keeps its
order inside Arabic text."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from lpa_portal.templatetags.portal import ltr
from tests.factories import EventFactory, ResourceFactory

GENEVA = ZoneInfo("Europe/Zurich")


@pytest.mark.parametrize(
    ("value", "html"),
    [
        ("WHO/MHP/RPQ/REG/2024.3", '<bdi dir="ltr">WHO/MHP/RPQ/REG/2024.3</bdi>'),
        ("lpa@example.org", '<bdi dir="ltr">lpa@example.org</bdi>'),
        ("14:00–16:00 CEST", '<bdi dir="ltr">14:00–16:00 CEST</bdi>'),
        # Escaped like any value.
        ("<b>A&B</b>", '<bdi dir="ltr">&lt;b&gt;A&amp;B&lt;/b&gt;</bdi>'),
        # An Arabic date reads right to left, its day range left to right.
        (
            "10–12 سبتمبر 2024",
            '<bdi><bdi dir="ltr">10–12</bdi> سبتمبر 2024</bdi>',
        ),
        ("", ""),
        (None, ""),
    ],
)
def test_ltr_keeps_left_to_right_values_in_their_order(value, html):
    assert ltr(value) == html


def test_ltr_in_a_template_is_not_escaped_twice():
    rendered = Template("{% load portal %}{{ code|ltr }}").render(Context({"code": "AB&C"}))
    assert rendered == '<bdi dir="ltr">AB&amp;C</bdi>'


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr"), ("ru", "ltr")])
def test_a_resource_page_keeps_its_reference_number_left_to_right(client, language, direction):
    resource = ResourceFactory(reference_number="WHO/MHP/RPQ/2024.3")
    with translation.override(language):
        url = resource.get_absolute_url()
    html = client.get(url).content.decode()

    assert f'<html lang="{language}" dir="{direction}"' in html
    assert '<bdi dir="ltr">WHO/MHP/RPQ/2024.3</bdi>' in html
    assert '<bdi dir="ltr">lpa@example.org</bdi>' in html  # the footer's address


@pytest.mark.django_db
def test_an_arabic_event_page_keeps_the_digits_of_its_dates_and_times_in_order(client):
    event = EventFactory(
        start=datetime(2030, 9, 10, 14, 0, tzinfo=GENEVA),
        end=datetime(2030, 9, 12, 16, 0, tzinfo=GENEVA),
    )
    with translation.override("ar"):
        url = event.get_absolute_url()
        list_url = reverse("events:list")
    for html in (client.get(url).content.decode(), client.get(list_url).content.decode()):
        assert 'dir="rtl"' in html
        # "10–12 September 2030" in Arabic: the range of days kept as 10–12, not 12–10, every
        # time the page shows it (the event's header and its details).
        assert html.count("10–12") == html.count('<bdi dir="ltr">10–12</bdi>') >= 1
