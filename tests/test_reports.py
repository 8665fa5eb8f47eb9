import csv
import io
from datetime import date, datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from events.reports import reach_report, year_over_year
from lpa_portal.charts import bar_chart_svg
from repository.models import DownloadEvent, ProductArea, SearchQuery
from repository.reports import downloads_report
from tests.factories import (
    EventFactory,
    ProgrammeFactory,
    RegistrationFactory,
    ResourceFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FIGURES = ("registrations", "confirmed", "attended", "participants", "countries")


def _at(year: int, month: int = 3, day: int = 1) -> datetime:
    return timezone.make_aware(datetime(year, month, day, 9))


def _figures(row: dict) -> tuple:
    return tuple(row[key] for key in FIGURES)


@pytest.fixture
def reach():
    """Two editions of a programme (2023, 2024) and one event of another programme (2024).

    Amina (KE) registers for both editions and attends both; Bhavin (IN) attends 2023; Claire
    (FR) cancelled in 2023; Dora (BR) is confirmed in 2024 and did not come; Elijah (KE) waits in
    2024; Vu (VN) is confirmed for the other programme's event.
    """
    medicines, _ = ProductArea.objects.get_or_create(code="medicines")
    vaccines, _ = ProductArea.objects.get_or_create(code="vaccines")
    programme = ProgrammeFactory(name="Marathon")
    other = ProgrammeFactory(name="Workshops")
    edition_2023 = EventFactory(programme=programme, start=_at(2023), edition_year=2023)
    edition_2024 = EventFactory(programme=programme, start=_at(2024), edition_year=2024)
    workshop = EventFactory(programme=other, start=_at(2024, 6), edition_year=2024)
    edition_2023.product_areas.add(medicines, vaccines)
    edition_2024.product_areas.add(medicines)
    amina = UserFactory(country="KE", organisation_type="manufacturer")
    bhavin = UserFactory(country="IN", organisation_type="regulator")
    claire = UserFactory(country="FR", organisation_type="academia")
    dora = UserFactory(country="BR", organisation_type="government")
    elijah = UserFactory(country="KE", organisation_type="manufacturer")
    vu = UserFactory(country="VN", organisation_type="partner")
    RegistrationFactory(event=edition_2023, user=amina, attended=True)
    RegistrationFactory(event=edition_2023, user=bhavin, attended=True)
    RegistrationFactory(event=edition_2023, user=claire, status="cancelled")
    RegistrationFactory(event=edition_2024, user=amina, attended=True)
    RegistrationFactory(event=edition_2024, user=dora)
    RegistrationFactory(event=edition_2024, user=elijah, status="waitlisted")
    RegistrationFactory(event=workshop, user=vu)
    return {"programme": programme, "edition_2024": edition_2024, "other": other}


def _staff(group_name: str | None = None):
    user = UserFactory(is_staff=True)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


# --- Figures -----------------------------------------------------------------------------------


def test_reach_totals_of_a_programme(reach):
    report = reach_report(programme=reach["programme"])
    # 6 made; 4 confirmed (not Claire who cancelled, not Elijah who waits); Amina counts once.
    assert _figures(report["totals"]) == (6, 4, 3, 3, 3)


def test_reach_by_region_country_organisation_type(reach):
    report = reach_report(programme=reach["programme"])
    regions = {row["code"]: _figures(row) for row in report["by_region"]}
    assert regions == {
        "AFRO": (3, 2, 2, 1, 1),
        "SEARO": (1, 1, 1, 1, 1),
        "EURO": (1, 0, 0, 0, 0),
        "AMRO": (1, 1, 0, 1, 1),
    }
    kenya = next(row for row in report["by_country"] if row["code"] == "KE")
    assert kenya["label"] == "Kenya"
    assert _figures(kenya) == (3, 2, 2, 1, 1)
    types = {row["code"]: _figures(row) for row in report["by_organisation_type"]}
    assert types["manufacturer"] == (3, 2, 2, 1, 1)
    assert types["academia"] == (1, 0, 0, 0, 0)
    assert report["by_region"][0]["label"] == "African Region"


def test_reach_by_product_area_counts_through_the_events(reach):
    report = reach_report(programme=reach["programme"])
    areas = {row["code"]: _figures(row) for row in report["by_product_area"]}
    assert areas == {"medicines": (6, 4, 3, 3, 3), "vaccines": (3, 2, 2, 2, 2)}


def test_reach_of_an_event_and_of_a_period(reach):
    assert _figures(reach_report(event=reach["edition_2024"])["totals"]) == (3, 2, 1, 2, 2)
    # The period takes the events that start in it, of every programme.
    in_2024 = reach_report(start=date(2024, 1, 1), end=date(2024, 12, 31))
    assert _figures(in_2024["totals"]) == (4, 3, 1, 3, 3)
    assert _figures(reach_report()["totals"]) == (7, 5, 3, 4, 4)


def test_year_over_year_of_a_programme(reach):
    rows = year_over_year(programme=reach["programme"])
    assert [(row["year"], *_figures(row)) for row in rows] == [
        (2023, 3, 2, 2, 2, 2),
        (2024, 3, 2, 1, 2, 2),
    ]
    assert [row["year"] for row in year_over_year(programme=reach["other"])] == [2024]


@pytest.fixture
def downloads():
    quality = TopicFactory(name="Quality")
    regulation = TopicFactory(name="Regulation")
    guidance = ResourceFactory(title="GMP guidance", kind="guidance")
    guidance.topics.add(quality, regulation)
    tool = ResourceFactory(title="Costing tool", kind="tool")
    tool.topics.add(quality)
    for region, organisation_type in (("", ""), ("", ""), ("AFRO", "manufacturer")):
        DownloadEvent.objects.create(
            resource=guidance,
            visitor_hash="x",
            who_region=region,
            organisation_type=organisation_type,
            created_at=_at(2025),
        )
    DownloadEvent.objects.create(
        resource=tool,
        visitor_hash="y",
        who_region="EURO",
        organisation_type="academia",
        created_at=_at(2025),
    )
    DownloadEvent.objects.create(resource=tool, visitor_hash="z", created_at=_at(2020))
    return {"guidance": guidance, "tool": tool}


def test_downloads_by_resource_type_topic_region(downloads):
    report = downloads_report(start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert report["totals"] == {"downloads": 4, "resources": 2, "signed_in": 2}
    assert [(row["label"], row["downloads"]) for row in report["by_resource"]] == [
        ("GMP guidance", 3),
        ("Costing tool", 1),
    ]
    assert {row["code"]: row["downloads"] for row in report["by_type"]} == {
        "guidance": 3,
        "tool": 1,
    }
    assert {row["label"]: row["downloads"] for row in report["by_topic"]} == {
        "Quality": 4,
        "Regulation": 3,
    }
    regions = {row["code"]: row["downloads"] for row in report["by_region"]}
    assert regions == {"": 2, "AFRO": 1, "EURO": 1}
    types = {row["label"]: row["downloads"] for row in report["by_organisation_type"]}
    assert types == {"Anonymous or not given": 2, "Manufacturer": 1, "Academia": 1}
    # Without a period, every download counts.
    assert downloads_report()["totals"]["downloads"] == 5


# --- Chart -------------------------------------------------------------------------------------


def test_bar_chart_is_accessible_and_escaped():
    svg = bar_chart_svg(
        title="Downloads <by> type",
        rows=[("<script>alert(1)</script>", 7), ("Tools & kits", 3)],
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg and "aria-labelledby=" in svg
    assert "<title " in svg and "Downloads &lt;by&gt; type</title>" in svg
    assert "<desc " in svg and "Tools &amp; kits: 3" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg
    assert svg.count("<rect") == 2


def test_bar_chart_keeps_max_bars_and_says_how_many_more():
    svg = bar_chart_svg(title="Many", rows=[(f"Row {n}", n) for n in range(30)], max_bars=5)
    assert svg.count("<rect") == 5
    assert "10 more" in str(bar_chart_svg(title="t", rows=[("a", 1)] * 30))  # 20 drawn


# --- Pages -------------------------------------------------------------------------------------


def test_reach_page_shows_tables_charts_and_compare_years(client, reach):
    client.force_login(_staff(EVENT_MANAGERS))
    response = client.get("/admin/reports/reach/", {"programme": reach["programme"].pk})
    assert response.status_code == 200
    html = response.content.decode()
    for table in ("by_region", "by_country", "by_organisation_type", "by_product_area"):
        assert f'id="{table}"' in html
        assert f"table={table}" in html
    assert 'id="year_over_year"' in html and "Compare years: Marathon" in html
    assert html.count('role="img"') == 5
    assert "African Region" in html


def test_reach_csv_export(client, reach):
    client.force_login(_staff(EVENT_MANAGERS))
    response = client.get(
        "/admin/reports/reach/",
        {"programme": reach["programme"].pk, "format": "csv", "table": "by_region"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "WHO region",
        "Registrations",
        "Confirmed",
        "Attended",
        "Participants",
        "Countries",
    ]
    assert ["African Region", "3", "2", "2", "1", "1"] in rows
    assert len(rows) == 5
    years = client.get(
        "/admin/reports/reach/",
        {"programme": reach["programme"].pk, "format": "csv", "table": "year_over_year"},
    )
    assert list(csv.reader(io.StringIO(years.content.decode("utf-8-sig"))))[1][:2] == [
        "2023",
        "3",
    ]
    missing = client.get("/admin/reports/reach/", {"format": "csv", "table": "nope"})
    assert missing.status_code == 404


def test_search_csv_is_safe_from_formulas(client):
    SearchQuery.objects.create(query='=HYPERLINK("http://evil")', results=0)
    SearchQuery.objects.create(query="gmp", results=4)
    client.force_login(_staff(CONTENT_EDITORS))
    page = client.get("/admin/reports/searches/")
    assert page.status_code == 200
    assert 'id="zero_results"' in page.content.decode()
    response = client.get("/admin/reports/searches/", {"format": "csv", "table": "zero_results"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["Query", "Searches"], ['\'=HYPERLINK("http://evil")', "1"]]


def test_downloads_page_and_csv(client, downloads):
    client.force_login(_staff(CONTENT_EDITORS))
    page = client.get("/admin/reports/downloads/", {"start": "2025-01-01"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "GMP guidance" in html and 'id="by_topic"' in html
    response = client.get(
        "/admin/reports/downloads/", {"start": "2025-01-01", "format": "csv", "table": "by_type"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["Type", "Downloads"], ["Guidance", "3"], ["Tool", "1"]]


# --- Permissions -------------------------------------------------------------------------------

PAGES = ("/admin/reports/", "/admin/reports/reach/", "/admin/reports/downloads/")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (EVENT_MANAGERS, {"index": 200, "reach": 200, "downloads": 403, "searches": 403}),
        (CONTENT_EDITORS, {"index": 200, "reach": 403, "downloads": 200, "searches": 200}),
        ("plain staff", {"index": 403, "reach": 403, "downloads": 403, "searches": 403}),
        ("superuser", {"index": 200, "reach": 200, "downloads": 200, "searches": 200}),
    ],
)
def test_who_sees_which_report(client, who, expected):
    if who == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    else:
        user = _staff(None if who == "plain staff" else who)
    client.force_login(user)
    urls = {
        "index": "/admin/reports/",
        "reach": "/admin/reports/reach/",
        "downloads": "/admin/reports/downloads/",
        "searches": "/admin/reports/searches/",
    }
    assert {name: client.get(url).status_code for name, url in urls.items()} == expected
    # The CSV export is behind the same permission as its page.
    csv_status = client.get(urls["reach"], {"format": "csv", "table": "by_region"}).status_code
    assert csv_status == expected["reach"]


@pytest.mark.parametrize("url", [*PAGES, "/admin/reports/searches/"])
def test_anonymous_people_are_sent_to_the_admin_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_index_links_to_the_reports_the_user_may_see(client):
    client.force_login(_staff(CONTENT_EDITORS))
    html = client.get("/admin/").content.decode()
    assert 'id="reports-module"' in html
    assert "/admin/reports/downloads/" in html and "/admin/reports/reach/" not in html
    client.force_login(_staff())
    assert 'id="reports-module"' not in client.get("/admin/").content.decode()


# --- Speed -------------------------------------------------------------------------------------


def _reach_page_queries(client, programme) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/reports/reach/", {"programme": programme.pk})
    assert response.status_code == 200
    return len(queries)


def test_reach_page_queries_do_not_grow_with_the_data(client, django_assert_max_num_queries):
    programme = ProgrammeFactory()
    countries = ["KE", "IN", "FR", "BR", "VN", "SN", "PE", "NP"]
    events = [
        EventFactory(programme=programme, start=_at(year), edition_year=year)
        for year in (2022, 2023, 2024)
    ]
    medicines, _ = ProductArea.objects.get_or_create(code="medicines")
    for event in events:
        event.product_areas.add(medicines)

    def register(count: int) -> None:
        for n in range(count):
            RegistrationFactory(
                event=events[n % 3], user=UserFactory(country=countries[n % len(countries)])
            )

    client.force_login(_staff(EVENT_MANAGERS))
    register(10)
    few = _reach_page_queries(client, programme)
    register(190)
    many = _reach_page_queries(client, programme)
    assert many == few
    with django_assert_max_num_queries(15):
        client.get("/admin/reports/reach/", {"programme": programme.pk})


# --- The reach page reads right -----------------------------------------------------------------


def _report_table(html: str, table_id: str) -> str:
    import re

    match = re.search(
        rf'<div class="module report-table" id="report-{table_id}">.*?</table>', html, re.S
    )
    assert match, table_id
    return match.group(0)


def test_the_country_table_has_the_iso_code_and_no_constant_column(client, reach):
    client.force_login(_staff(EVENT_MANAGERS))

    html = client.get("/admin/reports/reach/", {"programme": reach["programme"].pk}).content
    table = _report_table(html.decode(), "by_country")

    assert '<th scope="row">Kenya</th><td>KE</td>' in table
    assert '<th scope="col">ISO code</th>' in table
    assert '<th scope="col">Countries</th>' not in table
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    "/admin/reports/reach/",
                    {"programme": reach["programme"].pk, "format": "csv", "table": "by_country"},
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert rows[0] == [
        "Country",
        "ISO code",
        "Registrations",
        "Confirmed",
        "Attended",
        "Participants",
    ]
    assert ["Kenya", "KE", "3", "2", "2", "1"] in rows


def test_registrations_of_events_without_a_product_area_are_not_specified(client, reach):
    RegistrationFactory(event=EventFactory(start=_at(2024, 8)))
    client.force_login(_staff(EVENT_MANAGERS))

    html = client.get("/admin/reports/reach/").content.decode()

    table = _report_table(html, "by_product_area")
    assert '<th scope="row">Not specified</th>' in table
    assert '<th scope="row">–</th>' not in table


def test_the_bars_say_what_they_count_and_follow_the_table(client, reach):
    import re

    client.force_login(_staff(EVENT_MANAGERS))

    html = client.get("/admin/reports/reach/", {"programme": reach["programme"].pk}).content
    html = html.decode()

    for table_id in ("by_region", "by_country", "by_organisation_type", "year_over_year"):
        table = _report_table(html, table_id)
        bars = re.findall(r'text-anchor="end" fill="currentColor">([^<]*)</text>', table)
        rows = re.findall(r'<th scope="row">([^<]*)</th>', table)
        assert bars == rows, table_id
        assert "Bars: Participants, in the order of the table." in table


def test_the_page_says_it_counts_registrations_made_here(client, reach):
    event = reach["edition_2024"]
    event.participants_count = 1550
    event.save()
    client.force_login(_staff(EVENT_MANAGERS))

    html = client.get("/admin/reports/reach/", {"event": event.pk}).content.decode()

    assert "These figures count the registrations made on this portal." in html
    assert f"Published figure for {event.title}: 1550 participants." in html


def test_the_optional_map_shades_the_countries_reached(client, reach):
    import re

    from lpa_portal.maps import NONE_FILL, SHADES

    client.force_login(_staff(EVENT_MANAGERS))

    without = client.get("/admin/reports/reach/", {"programme": reach["programme"].pk})
    assert 'id="report-map"' not in without.content.decode()

    html = client.get(
        "/admin/reports/reach/", {"programme": reach["programme"].pk, "show_map": "on"}
    ).content.decode()

    figure = re.search(
        r'<figure class="module report-map" id="report-map">.*?</figure>', html, re.S
    )
    assert figure
    svg = figure.group(0)
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert "3 countries reached, 3 of them drawn" in svg  # Kenya, India, Brazil
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing from elsewhere
    fills = {
        name: fill for fill, name in re.findall(r'fill="(#[0-9a-f]{6})"><title>([^<:]+):', svg)
    }
    assert fills["Kenya"] in SHADES and fills["India"] in SHADES and fills["Brazil"] in SHADES
    assert fills["France"] == NONE_FILL  # cancelled: not a participant
    assert fills["China"] == NONE_FILL


def test_the_map_escapes_what_it_prints():
    from lpa_portal.maps import world_map_svg

    svg = world_map_svg(title="<script>x</script>", values={"KE": 3}, measure="<b>")

    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in svg
