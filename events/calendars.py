"""Calendar files (iCalendar, RFC 5545) of events: which events they hold, and how.

An event with sessions is its sessions (busy), plus the event as an all-day entry marked
TRANSP:TRANSPARENT (free), so that a four-week Marathon does not block four weeks; an event
without sessions is one entry from its start to its end. Times are written in UTC ("Z"), which
every client reads without a VTIMEZONE. The online
meeting link never goes into a calendar file: files are public and get forwarded, and the link
is only for confirmed registrants.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import icalendar
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event, Programme, Session

PRODID = "-//WHO LPA//LPA Portal//EN"
# How often subscribed clients should fetch a feed again (RFC 7986, and Outlook's X- property).
REFRESH_INTERVAL = timedelta(hours=1)
# A programme's calendar keeps the past year's events, so subscribers keep their history.
PROGRAMME_PAST_DAYS = 365

STATUS = {
    Event.Status.PUBLISHED: "CONFIRMED",
    Event.Status.CANCELLED: "CANCELLED",
    Event.Status.POSTPONED: "TENTATIVE",
    Event.Status.DRAFT: "TENTATIVE",  # staff preview only
}


def with_calendar_data(events: QuerySet[Event]) -> QuerySet[Event]:
    """What the calendar builders read: two more queries, however many events and sessions."""
    return events.select_related("programme").prefetch_related(
        Prefetch("sessions", queryset=Session.objects.prefetch_related("speakers"))
    )


def upcoming_calendar_events(*, now: datetime | None = None) -> QuerySet[Event]:
    """Published events that have not ended, soonest first."""
    return with_calendar_data(Event.objects.published().upcoming(now).order_by("start", "pk"))


def programme_calendar_events(
    *, programme: Programme, now: datetime | None = None
) -> QuerySet[Event]:
    """The programme's published events that have not ended or ended within the past year."""
    since = (now or timezone.now()) - timedelta(days=PROGRAMME_PAST_DAYS)
    return with_calendar_data(
        Event.objects.published()
        .filter(programme=programme, end__gte=since)
        .order_by("start", "pk")
    )


def event_calendar(*, event: Event, base_url: str) -> icalendar.Calendar:
    """One event, and each of its sessions, to add to a calendar (`base_url` ends with "/")."""
    calendar = _calendar(name=event.title)
    for component in _event_components(event=event, base_url=base_url, stamp=timezone.now()):
        calendar.add_component(component)
    return calendar


def events_calendar(*, events: Iterable[Event], name: str, base_url: str) -> icalendar.Calendar:
    """A calendar to subscribe to: the events with their sessions. Prefetch with
    `with_calendar_data`, or each event costs queries."""
    calendar = _calendar(name=name)
    calendar.add("X-PUBLISHED-TTL", icalendar.vDuration(REFRESH_INTERVAL))
    calendar.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    stamp = timezone.now()
    for event in events:
        for component in _event_components(event=event, base_url=base_url, stamp=stamp):
            calendar.add_component(component)
    return calendar


def _calendar(*, name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar.new(
        prodid=PRODID, calscale="GREGORIAN", method="PUBLISH", name=name
    )
    # Calendar.new() adds a random UID: it would make each download a different calendar.
    del calendar["UID"]
    return calendar


def _event_components(*, event: Event, base_url: str, stamp: datetime) -> list[icalendar.Event]:
    url = urljoin(base_url, event.get_absolute_url())
    host = urlsplit(base_url).hostname or "localhost"
    common = {
        "url": url,
        "location": _location(event),
        "status": STATUS[event.status],
        "stamp": stamp,
        "last_modified": event.updated_at,
        "sequence": _sequence(event),
        "categories": [event.programme.name],
    }
    sessions = list(event.sessions.all())
    event_entry = {
        "uid": f"event-{event.pk}@{host}",
        "summary": event.title,
        "description": f"{event.summary}\n\n{url}",
    }
    if not sessions:
        return [
            icalendar.Event.new(
                **event_entry, start=_utc(event.start), end=_utc(event.end), **common
            )
        ]
    # With an agenda, the time to block is the sessions'. The event itself stays (same UID, so
    # calendars that hold it update it) as an all-day entry that does not show as busy: a
    # Marathon of four weeks must not block four weeks.
    tz = event.tz
    whole = icalendar.Event.new(
        **event_entry,
        start=timezone.localtime(event.start, tz).date(),
        end=timezone.localtime(event.end, tz).date() + timedelta(days=1),
        **common,
    )
    whole.add("transp", "TRANSPARENT")
    components = [whole]
    for session in sessions:
        components.append(
            icalendar.Event.new(
                uid=f"session-{session.pk}@{host}",
                summary=f"{session.title} — {event.title}",
                description=_session_description(session=session, event=event, url=url),
                start=_utc(session.start),
                end=_utc(session.end),
                **common,
            )
        )
    return components


def _session_description(*, session: Session, event: Event, url: str) -> str:
    speakers = ", ".join(str(speaker) for speaker in session.speakers.all())
    parts = [
        session.description.strip(),
        _("Speakers: %(names)s") % {"names": speakers} if speakers else "",
        event.title,
        url,
    ]
    return "\n\n".join(part for part in parts if part)


def _location(event: Event) -> str:
    online = str(Event.Format.ONLINE.label)
    if event.format == Event.Format.ONLINE:
        return online
    place = ", ".join(
        part
        for part in (event.venue, event.city, event.country.name if event.country else "")
        if part
    )
    if event.format == Event.Format.HYBRID:
        return _("%(place)s and online") % {"place": place} if place else online
    return place


def _sequence(event: Event) -> int:
    # Clients replace their copy of an event when SEQUENCE grows. The model keeps no revision
    # counter, so count the seconds from creation to the last change: every save raises it.
    return max(0, int((event.updated_at - event.created_at).total_seconds()))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
