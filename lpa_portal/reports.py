"""Staff reports on reach: the figures of events/reports.py and repository/reports.py as admin
pages, each table with a chart and a CSV export.

Reach reports count registrations, so they need the permission to view registrations (Event
managers); Content editors, who see no registrant's data, get the repository reports only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.defaultfilters import floatformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.models import Event, Programme
from events.reports import reach_report, year_over_year
from lpa_portal.charts import bar_chart_svg
from lpa_portal.maps import world_map_svg
from repository.reports import downloads_report, search_report

REACH_PERMISSIONS = ("events.view_registration",)
REPOSITORY_PERMISSIONS = ("repository.view_downloadevent", "repository.view_resource")
SEARCH_PERIODS = (7, 30, 90)


def _may(user, permissions: tuple[str, ...]) -> bool:
    return any(user.has_perm(permission) for permission in permissions)


def _require(request, permissions: tuple[str, ...]) -> None:
    if not _may(request.user, permissions):
        raise PermissionDenied


# --- Tables -------------------------------------------------------------------------------------


@dataclass
class Table:
    """One table of a report: what the page prints, charts and exports as CSV."""

    id: str
    caption: str
    columns: list[tuple[str, str]]  # (key in the row, heading)
    rows: list[dict]
    chart_column: str | None = None
    help: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def headings(self) -> list[str]:
        return [str(heading) for _key, heading in self.columns]

    @property
    def body(self) -> list[list]:
        return [[row.get(key) for key, _heading in self.columns] for row in self.rows]

    @property
    def shown(self) -> list[list[tuple[str, bool]]]:
        """The cells as the page prints them: (text, is a figure). Figures are grouped by
        thousands; codes and labels are printed as they are."""
        return [
            [
                ("–", False)
                if value is None
                else (floatformat(value, "-1g"), True)
                if isinstance(value, int | float)
                else (str(value), False)
                for value in cells
            ]
            for cells in self.body
        ]

    @property
    def chart_heading(self) -> str:
        """What the bars count, said under the chart."""
        return str(dict(self.columns)[self.chart_column]) if self.chart_column else ""

    @cached_property
    def chart(self) -> str:
        """The bars of the chart column, one per row in the order of the table."""
        if not self.chart_column:
            return ""
        label_key = self.columns[0][0]
        return bar_chart_svg(
            title=f"{self.caption}: {self.chart_heading}",
            rows=[(str(row[label_key]), row[self.chart_column] or 0) for row in self.rows],
        )


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    # A spreadsheet runs a cell that starts like a formula; labels and queries come from anyone.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{text}"
    return text


def csv_response(*, table: Table, name: str) -> HttpResponse:
    """The table as CSV: UTF-8 with a byte-order mark (so that Excel reads it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(heading) for heading in table.headings])
    for cells in table.body:
        writer.writerow([_csv_cell(cell) for cell in cells])
    response = HttpResponse(
        buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    filename = f"{name}-{table.id}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _render(request, template: str, *, title: str, name: str, tables: list[Table], **context):
    if request.GET.get("format") == "csv":
        wanted = request.GET.get("table")
        for table in tables:
            if table.id == wanted:
                return csv_response(table=table, name=name)
        raise Http404(gettext("No such table in this report."))
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    for table in tables:
        query["format"], query["table"] = "csv", table.id
        table.extra["csv_url"] = f"?{query.urlencode()}"
    return TemplateResponse(
        request,
        template,
        {**admin.site.each_context(request), "title": title, "tables": tables, **context},
    )


# --- Pages --------------------------------------------------------------------------------------


def index_view(request):
    reports = []
    if _may(request.user, REACH_PERMISSIONS):
        reports.append(
            (
                reverse("reports:reach"),
                _("Reach of events"),
                _("Registrations, attendance, people and countries reached; years compared."),
            )
        )
    if _may(request.user, REPOSITORY_PERMISSIONS):
        reports.append(
            (
                reverse("reports:downloads"),
                _("Repository downloads"),
                _("Downloads by resource, topic, type, region and organisation type."),
            )
        )
        reports.append(
            (
                reverse("reports:searches"),
                _("Repository searches"),
                _("The most frequent searches and those that found nothing."),
            )
        )
    if not reports:
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": _("Reports"), "reports": reports}
    return TemplateResponse(request, "admin/reports/index.html", context)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The end of the period must not be before its start."))
        return data


class ReachFilterForm(PeriodForm):
    show_map = forms.BooleanField(label=_("Show a map of the countries reached"), required=False)
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.all(), required=False
    )
    event = forms.ModelChoiceField(
        label=_("Event"),
        queryset=Event.objects.only("pk", "title", "start").order_by("-start", "pk"),
        required=False,
    )
    field_order = ["programme", "event", "start", "end", "show_map"]


def _filters(form: forms.Form) -> dict:
    if form.is_bound and form.is_valid():
        return form.cleaned_data
    return {}


REACH_COLUMNS = [
    ("registrations", _("Registrations")),
    ("confirmed", _("Confirmed")),
    ("attended", _("Attended")),
    ("participants", _("Participants")),
    ("countries", _("Countries")),
]


def reach_view(request):
    _require(request, REACH_PERMISSIONS)
    form = ReachFilterForm(request.GET or None)
    filters = _filters(form)
    programme = filters.get("programme")
    report = reach_report(
        programme=programme,
        event=filters.get("event"),
        start=filters.get("start"),
        end=filters.get("end"),
    )
    figures = dict(REACH_COLUMNS)
    totals = Table(
        id="totals",
        caption=gettext("Totals"),
        columns=[("label", _("Figure")), ("value", _("Count"))],
        rows=[
            {"label": str(figures[key]), "value": report["totals"][key]}
            for key, _heading in REACH_COLUMNS
        ],
    )
    # In the table by country each row is one country: its "countries" would always be 1.
    per_country = [column for column in REACH_COLUMNS if column[0] != "countries"]
    breakdowns = [
        ("by_region", _("By WHO region"), _("WHO region"), [], REACH_COLUMNS),
        ("by_country", _("By country"), _("Country"), [("code", _("ISO code"))], per_country),
        (
            "by_organisation_type",
            _("By organisation type"),
            _("Organisation type"),
            [],
            REACH_COLUMNS,
        ),
        ("by_product_area", _("By product area"), _("Product area"), [], REACH_COLUMNS),
    ]
    tables = [totals] + [
        Table(
            id=key,
            caption=str(caption),
            columns=[("label", heading), *extra, *figures_columns],
            rows=report[key],
            chart_column="participants",
            help=gettext("A registration counts once for each product area of its event.")
            if key == "by_product_area"
            else "",
        )
        for key, caption, heading, extra, figures_columns in breakdowns
    ]
    if programme is not None:
        tables.append(
            Table(
                id="year_over_year",
                caption=gettext("Compare years: %(programme)s") % {"programme": programme},
                columns=[("label", _("Edition year")), *REACH_COLUMNS],
                rows=year_over_year(programme=programme),
                chart_column="participants",
            )
        )
    event = filters.get("event")
    world_map = ""
    if filters.get("show_map"):
        world_map = world_map_svg(
            title=gettext("Countries reached: participants"),
            values={row["code"]: row["participants"] for row in report["by_country"]},
            measure=gettext("Participants"),
        )
    return _render(
        request,
        "admin/reports/reach.html",
        title=gettext("Reach of events"),
        name="reach",
        tables=tables,
        form=form,
        programme=programme,
        # The figures the organisers published, which also count people who did not register
        # on this portal.
        published=event if event is not None and event.participants_count else None,
        world_map=world_map,
    )


def downloads_view(request):
    _require(request, REPOSITORY_PERMISSIONS)
    form = PeriodForm(request.GET or None)
    filters = _filters(form)
    report = downloads_report(start=filters.get("start"), end=filters.get("end"))
    downloads = ("downloads", _("Downloads"))
    totals = Table(
        id="totals",
        caption=gettext("Totals"),
        columns=[("label", _("Figure")), ("value", _("Count"))],
        rows=[
            {"label": gettext("Downloads"), "value": report["totals"]["downloads"]},
            {"label": gettext("Resources downloaded"), "value": report["totals"]["resources"]},
            {"label": gettext("By signed-in people"), "value": report["totals"]["signed_in"]},
        ],
    )
    signed_in_help = gettext(
        "For signed-in people, as their profile said when they downloaded; "
        "anonymous downloads have no region or organisation type."
    )
    tables = [
        totals,
        Table(
            id="by_resource",
            caption=gettext("Most downloaded resources"),
            columns=[("label", _("Resource")), downloads],
            rows=report["by_resource"],
            chart_column="downloads",
        ),
        Table(
            id="by_topic",
            caption=gettext("By topic"),
            columns=[("label", _("Topic")), downloads],
            rows=report["by_topic"],
            chart_column="downloads",
            help=gettext("A download counts once for each topic of its resource."),
        ),
        Table(
            id="by_type",
            caption=gettext("By type of resource"),
            columns=[("label", _("Type")), downloads],
            rows=report["by_type"],
            chart_column="downloads",
        ),
        Table(
            id="by_region",
            caption=gettext("By WHO region"),
            columns=[("label", _("WHO region")), downloads],
            rows=report["by_region"],
            chart_column="downloads",
            help=signed_in_help,
        ),
        Table(
            id="by_organisation_type",
            caption=gettext("By organisation type"),
            columns=[("label", _("Organisation type")), downloads],
            rows=report["by_organisation_type"],
            chart_column="downloads",
            help=signed_in_help,
        ),
    ]
    return _render(
        request,
        "admin/reports/downloads.html",
        title=gettext("Repository downloads"),
        name="downloads",
        tables=tables,
        form=form,
    )


def searches_view(request):
    _require(request, REPOSITORY_PERMISSIONS)
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    if days not in SEARCH_PERIODS:
        days = 30
    report = search_report(days=days, limit=None if request.GET.get("format") == "csv" else 50)
    searches = ("searches", _("Searches"))
    tables = [
        Table(
            id="top",
            caption=gettext("Most frequent queries"),
            columns=[
                ("query", _("Query")),
                searches,
                ("zero", _("Found nothing")),
                ("average_results", _("Average results")),
            ],
            rows=report["top"],
            chart_column="searches",
        ),
        Table(
            id="zero_results",
            caption=gettext("Queries that found nothing"),
            columns=[("query", _("Query")), searches],
            rows=report["zero_results"],
            chart_column="searches",
            help=gettext(
                "What people look for and the repository does not hold, or holds under other words."
            ),
        ),
    ]
    return _render(
        request,
        "admin/reports/searches.html",
        title=gettext("Repository searches"),
        name="searches",
        tables=tables,
        report=report,
        periods=SEARCH_PERIODS,
    )
