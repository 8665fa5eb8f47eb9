"""What the repository is used for: downloads and searches, counted by the database.

Downloads carry no person, only for signed-in downloaders a snapshot of their WHO region and
organisation type; a blank one is an anonymous download (or a profile that did not say).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import OrganisationType, WHORegion
from repository.admin import search_report as _search_report
from repository.models import DownloadEvent, Resource

TOP_RESOURCES = 50


def downloads_for(*, start: date | None = None, end: date | None = None) -> QuerySet:
    """The downloads made from `start` to `end` (whole days, both included)."""
    downloads = DownloadEvent.objects.all()
    if start is not None:
        downloads = downloads.filter(created_at__date__gte=start)
    if end is not None:
        downloads = downloads.filter(created_at__date__lte=end)
    return downloads


def _label(choices, code: str | None, blank: str) -> str:
    if not code:
        return blank
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def downloads_report(*, start: date | None = None, end: date | None = None) -> dict:
    """Totals and downloads by resource (the most downloaded), topic, type, and the region and
    organisation type of signed-in downloaders. Six queries.

    A download counts in the row of each topic of its resource, so the topic rows may add up to
    more than the total.
    """
    downloads = downloads_for(start=start, end=end)
    totals = downloads.aggregate(
        downloads=Count("pk"),
        resources=Count("resource", distinct=True),
        signed_in=Count("pk", filter=~Q(who_region="") | ~Q(organisation_type="")),
    )
    by_resource = [
        {**row, "code": row["resource__slug"], "label": row["resource__title"]}
        for row in downloads.values("resource", "resource__title", "resource__slug")
        .annotate(downloads=Count("pk"))
        .order_by("-downloads", "resource__title")[:TOP_RESOURCES]
    ]
    by_topic = [
        {
            **row,
            "code": row["resource__topics__slug"] or "",
            "label": row["resource__topics__name"] or "–",
        }
        for row in downloads.values("resource__topics__slug", "resource__topics__name")
        .annotate(downloads=Count("pk"))
        .order_by("-downloads", "resource__topics__name")
    ]
    by_type = [
        {
            **row,
            "code": row["resource__kind"],
            "label": _label(Resource.Kind, row["resource__kind"], "–"),
        }
        for row in downloads.values("resource__kind")
        .annotate(downloads=Count("pk"))
        .order_by("-downloads", "resource__kind")
    ]
    anonymous = str(_("Anonymous or not given"))
    by_region = [
        {**row, "code": row["who_region"], "label": _label(WHORegion, row["who_region"], anonymous)}
        for row in downloads.values("who_region")
        .annotate(downloads=Count("pk"))
        .order_by("-downloads", "who_region")
    ]
    by_organisation_type = [
        {
            **row,
            "code": row["organisation_type"],
            "label": _label(OrganisationType, row["organisation_type"], anonymous),
        }
        for row in downloads.values("organisation_type")
        .annotate(downloads=Count("pk"))
        .order_by("-downloads", "organisation_type")
    ]
    return {
        "totals": totals,
        "by_resource": by_resource,
        "by_topic": by_topic,
        "by_type": by_type,
        "by_region": by_region,
        "by_organisation_type": by_organisation_type,
    }


def search_report(*, days: int, limit: int | None = 50) -> dict:
    """Searches of the last `days` days: totals, the top queries and those that found nothing.

    The counting is the search report of the admin of search queries; this is its name for the
    staff reports.
    """
    return _search_report(days=days, limit=limit)
