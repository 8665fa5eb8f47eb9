"""Calendar files (.ics) of events and the Atom feed of new events."""

from django.contrib.syndication.views import Feed
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.calendars import (
    event_calendar,
    events_calendar,
    programme_calendar_events,
    upcoming_calendar_events,
    with_calendar_data,
)
from events.models import Event, Programme
from events.structured_data import ORGANIZER

FEED_MAX_AGE = 60 * 60
FEED_ITEMS = 30


def event_ics(request, slug):
    """One event to add to a calendar. Drafts only for staff (preview)."""
    events = Event.objects.all() if request.user.is_staff else Event.objects.published()
    event = get_object_or_404(with_calendar_data(events), slug=slug)
    calendar = event_calendar(event=event, base_url=request.build_absolute_uri("/"))
    return _ics_response(calendar, filename=f"{event.slug}.ics", subscribable=False)


def upcoming_ics(request):
    """All upcoming events, to subscribe to."""
    calendar = events_calendar(
        events=upcoming_calendar_events(),
        name=_("LPA Portal: upcoming events"),
        base_url=request.build_absolute_uri("/"),
    )
    return _ics_response(calendar, filename="lpa-events.ics", subscribable=True)


def programme_ics(request, slug):
    """A programme's upcoming and recent events, to subscribe to."""
    programme = get_object_or_404(Programme, slug=slug)
    calendar = events_calendar(
        events=programme_calendar_events(programme=programme),
        name=_("LPA Portal: %(programme)s") % {"programme": programme.name},
        base_url=request.build_absolute_uri("/"),
    )
    return _ics_response(calendar, filename=f"{programme.slug}.ics", subscribable=True)


def _ics_response(calendar, *, filename: str, subscribable: bool) -> HttpResponse:
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    # A feed is shown or subscribed to where it is opened; a single event is a file to save.
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not subscribable, filename=filename
    )
    if subscribable:
        # Calendar clients poll feeds often; the same public content serves them all for a while.
        patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
    return response


class LatestEventsFeed(Feed):
    """The newest published events, in the language of the URL."""

    feed_type = Atom1Feed
    title = gettext_lazy("LPA Portal: new events")
    subtitle = description = gettext_lazy(
        "Trainings and events of WHO's Local Production & Assistance Unit."
    )
    author_name = ORGANIZER["name"]

    def link(self):
        return reverse("events:list")

    def items(self):
        return (
            Event.objects.published()
            .select_related("programme")
            .order_by(Coalesce("published_at", "created_at").desc(), F("pk").desc())[:FEED_ITEMS]
        )

    def item_title(self, item: Event) -> str:
        if item.status in (Event.Status.CANCELLED, Event.Status.POSTPONED):
            return f"{item.title} ({item.get_status_display()})"
        return item.title

    def item_description(self, item: Event) -> str:
        return item.summary

    def item_link(self, item: Event) -> str:
        # Made absolute by Feed, with the portal's domain (sites framework) and the request scheme.
        return item.get_absolute_url()

    def item_pubdate(self, item: Event):
        return item.published_at or item.created_at

    def item_updateddate(self, item: Event):
        return item.updated_at

    def item_categories(self, item: Event) -> list[str]:
        return [item.programme.name]
