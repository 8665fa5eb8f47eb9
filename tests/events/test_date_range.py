"""An event's dates said as each language says a range: the year once, the month in its
grammatical case (Russian), the words that join (Spanish), the order of Chinese dates."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from events.templatetags.event_tags import date_range

UTC = ZoneInfo("UTC")
DAYS = (datetime(2024, 9, 10, tzinfo=UTC), datetime(2024, 9, 12, tzinfo=UTC))
MONTHS = (datetime(2024, 9, 10, tzinfo=UTC), datetime(2024, 10, 10, tzinfo=UTC))
YEARS = (datetime(2019, 11, 26, tzinfo=UTC), datetime(2020, 1, 3, tzinfo=UTC))


@pytest.mark.parametrize(
    ("language", "days", "months", "years"),
    [
        (
            "en",
            "10–12 September 2024",
            "10 September – 10 October 2024",
            "26 November 2019 – 3 January 2020",
        ),
        (
            "fr",
            "10–12 septembre 2024",
            "10 septembre – 10 octobre 2024",
            "26 novembre 2019 – 3 janvier 2020",
        ),
        (
            "es",
            "10–12 de septiembre de 2024",
            "10 de septiembre – 10 de octubre de 2024",
            "26 de noviembre de 2019 – 3 de enero de 2020",
        ),
        (
            "ar",
            "10–12 سبتمبر، 2024",
            "10 سبتمبر – 10 أكتوبر، 2024",
            "26 نوفمبر، 2019 – 3 يناير، 2020",
        ),
        (
            "ru",
            "10–12 сентября 2024 г.",
            "10 сентября – 10 октября 2024 г.",
            "26 ноября 2019 г. – 3 января 2020 г.",
        ),
        (
            "zh-hans",
            "2024年9月10日–9月12日",
            "2024年9月10日–10月10日",
            "2019年11月26日 – 2020年1月3日",
        ),
    ],
)
def test_a_range_of_dates_in_each_language(language, days, months, years):
    with translation.override(language):
        assert date_range(*DAYS, UTC) == days
        assert date_range(*MONTHS, UTC) == months
        assert date_range(*YEARS, UTC) == years


def test_one_day_is_one_date():
    with translation.override("zh-hans"):
        assert date_range(DAYS[0], DAYS[0].replace(hour=18), UTC) == "2024年9月10日"
