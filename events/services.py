"""Writes on events that carry rules: copying an edition to the next year, publishing, banners."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

from django.contrib.admin.models import ADDITION, LogEntry
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from events.images import renditions_create
from events.models import Event, Session

COPIED_M2M_FIELDS = ("audiences", "product_areas", "topics", "languages", "partners")


def _shift_one_year(value: datetime | None, *, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """The same calendar date and local wall-clock time one year later, in the event's zone.

    Shifting the UTC instant by 365 days would drift by a day in leap years and by an hour when
    one date is in summer time and the other is not; people remember "09:00 Geneva, 28 March".
    29 February becomes 28 February.
    """
    if value is None:
        return None
    local = timezone.localtime(value, tz).replace(tzinfo=None)
    try:
        shifted = local.replace(year=local.year + 1)
    except ValueError:
        shifted = local.replace(year=local.year + 1, day=28)
    # fold=0: an hour repeated by a clock change resolves to its first occurrence.
    return shifted.replace(tzinfo=tz)


def _year_replaced(text: str, *, old: int, new: int) -> str | None:
    """The text with the year as a whole number replaced, or None when it does not hold it."""
    pattern = rf"(?<!\d){old}(?!\d)"
    if not re.search(pattern, text):
        return None
    return re.sub(pattern, str(new), text)


def _next_title(event: Event, year: int) -> str:
    max_length = Event._meta.get_field("title").max_length
    title = _year_replaced(event.title, old=event.edition_year, new=year)
    if title is None:
        title = f"{event.title[: max_length - 5]} {year}"
    return title[:max_length]


def _unique_slug(base: str) -> str:
    """The slug itself if free, else with -2, -3, … appended, always within the column length."""
    max_length = Event._meta.get_field("slug").max_length
    base = base[:max_length].strip("-")
    taken = set(Event.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = f"{base[: max_length - len(suffix)].rstrip('-')}{suffix}"
    return candidate


def _next_slug(event: Event, year: int) -> str:
    max_length = Event._meta.get_field("slug").max_length
    slug = _year_replaced(event.slug, old=event.edition_year, new=year)
    if slug is None:
        suffix = f"-{year}"
        slug = f"{(event.slug or slugify(event.title))[: max_length - len(suffix)]}{suffix}"
    return _unique_slug(slug)


@transaction.atomic
def event_copy_as_next_edition(*, event: Event, user=None) -> Event:
    """Copy an event as a draft of next year's edition, for staff to edit and publish.

    Dates move to the same calendar day next year at the same local time in the event's time
    zone. What describes the event is kept: taxonomy, partners, banner, the agenda with its
    speakers and topics. What only the past edition had is left behind: recordings, session
    resources, materials, outcome figures, the meeting link and the publication date.
    """
    source = Event.objects.get(pk=event.pk)
    tz = source.tz
    year = source.edition_year + 1

    # Every column is copied unless said otherwise below, so a field added later is carried over.
    copy = Event.objects.get(pk=event.pk)
    copy.pk = None
    copy._state.adding = True
    copy.edition_year = year
    copy.title = _next_title(source, year)
    copy.slug = _next_slug(source, year)
    copy.status = Event.Status.DRAFT
    copy.published_at = None
    for name in ("start", "end", "registration_opens", "registration_closes"):
        setattr(copy, name, _shift_one_year(getattr(source, name), tz=tz))
    copy.participants_count = None
    copy.countries_count = None
    copy.outcome_note = ""
    copy.meeting_url = ""
    # The banner file is shared, not duplicated: the copy names the same stored file and the same
    # renditions.
    copy.banner_renditions = dict(source.banner_renditions or {})
    # The file was validated when it was uploaded; the copy must not fail if it is missing.
    copy.full_clean(exclude=["banner"])
    copy.save()

    for name in COPIED_M2M_FIELDS:
        getattr(copy, name).set(getattr(source, name).all())

    sessions = list(source.sessions.prefetch_related("speakers"))
    copies = Session.objects.bulk_create(
        Session(
            event=copy,
            title=session.title,
            start=_shift_one_year(session.start, tz=tz),
            end=_shift_one_year(session.end, tz=tz),
            topic_id=session.topic_id,
            description=session.description,
        )
        for session in sessions
    )
    Speakers = Session.speakers.through
    Speakers.objects.bulk_create(
        Speakers(session_id=new.pk, speaker_id=speaker.pk)
        for old, new in zip(sessions, copies, strict=True)
        for speaker in old.speakers.all()
    )

    if user is not None:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[copy],
            action_flag=ADDITION,
            change_message=f"Copied from “{source}” (id {source.pk}) as the next edition.",
            single_object=True,
        )
    return copy


def event_publish(*, event: Event) -> Event:
    """Publish an event that passes validation; the first publication date is kept for good.

    Raises ValidationError (and leaves the event unchanged) when the event is not complete
    enough to publish, e.g. an in-person event without a city.
    """
    previous = event.status, event.published_at
    event.status = Event.Status.PUBLISHED
    event.published_at = event.published_at or timezone.now()
    try:
        event.full_clean()
    except Exception:
        event.status, event.published_at = previous
        raise
    event.save(update_fields=["status", "published_at", "updated_at"])
    return event


def event_banner_renditions_update(*, event: Event) -> None:
    """Make the resized copies of the banner and record its size; clear them without a banner.

    Old rendition files are left in storage: a copied edition may share them.
    """
    if event.banner:
        renditions, width, height = renditions_create(name=event.banner.name)
    else:
        renditions, width, height = {}, None, None
    event.banner_renditions = renditions
    event.banner_width = width
    event.banner_height = height
    event.save(update_fields=["banner_renditions", "banner_width", "banner_height", "updated_at"])
