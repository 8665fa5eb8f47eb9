"""schema.org `Event` data for search engines, embedded in the event page as JSON-LD."""

from __future__ import annotations

import json
from urllib.parse import urljoin

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.content_languages import translated
from events.models import Event

ORGANIZER = {
    "@type": "Organization",
    "name": "World Health Organization — Local Production & Assistance Unit",
    "url": "https://www.who.int/",
}

EVENT_STATUS = {
    Event.Status.CANCELLED: "https://schema.org/EventCancelled",
    Event.Status.POSTPONED: "https://schema.org/EventPostponed",
}

ATTENDANCE_MODE = {
    Event.Format.ONLINE: "https://schema.org/OnlineEventAttendanceMode",
    Event.Format.IN_PERSON: "https://schema.org/OfflineEventAttendanceMode",
    Event.Format.HYBRID: "https://schema.org/MixedEventAttendanceMode",
}

# As django.utils.html.json_script: inside <script>, "</script>" or "<!--" in a string would end
# or change the element, so the characters that can start them are written as JSON escapes.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def event_json_ld(*, event: Event, url: str, languages: list[str] | None = None) -> dict:
    """The event as a schema.org `Event`; `url` is the absolute address of its page.

    An online event's location is its public page, never the meeting link: that link is only
    for confirmed registrants. Times carry the offset of the event's own time zone.
    `languages`: the codes of the event's languages where the caller has read them; else this
    reads `event.languages`, so prefetch them when building many.
    """
    if languages is None:
        languages = [language.code for language in event.languages.all()]
    zone = event.tz
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        # As the page shows them: in its language, or the source.
        "name": translated(event, "title").value,
        "description": translated(event, "summary").value,
        "startDate": timezone.localtime(event.start, zone).isoformat(),
        "endDate": timezone.localtime(event.end, zone).isoformat(),
        "eventStatus": EVENT_STATUS.get(event.status, "https://schema.org/EventScheduled"),
        "eventAttendanceMode": ATTENDANCE_MODE[event.format],
        "location": _location(event=event, url=url),
        "organizer": ORGANIZER,
        "url": url,
        "isAccessibleForFree": True,
        "inLanguage": languages,
    }
    if event.banner:
        data["image"] = [urljoin(url, event.banner.url)]
    return data


def _location(*, event: Event, url: str) -> dict | list[dict]:
    locations = []
    if event.format != Event.Format.IN_PERSON:
        locations.append({"@type": "VirtualLocation", "url": url})
    if event.format != Event.Format.ONLINE:
        address = {"@type": "PostalAddress", "addressLocality": event.city}
        if event.country:
            address["addressCountry"] = event.country.code
        locations.append(
            {
                "@type": "Place",
                "name": translated(event, "venue").value or event.city,
                "address": address,
            }
        )
    # A hybrid event is at both; schema.org takes a list for several values.
    return locations[0] if len(locations) == 1 else locations


def json_ld_script(data: dict) -> SafeString:
    """`<script type="application/ld+json">` holding `data`, safe to place in any HTML page."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 (escaped just above)
    )
