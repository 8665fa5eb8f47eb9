"""Writes on events that carry rules: editions, publishing, banners, every rule of registering."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.contrib.admin.models import ADDITION, LogEntry
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.cache import content_changed, content_versions
from accounts.facet_index import build_queue, store_bitsets
from accounts.ratelimits import Limit
from events.emails import email_queue
from events.exceptions import (
    AlreadyRegistered,
    CancellationClosed,
    ConsentRequired,
    InvalidInvitation,
    InvalidTransition,
    InvitationRequired,
    NoSeatAvailable,
    NotInAudience,
    RegistrationClosed,
    RegistrationNotOpenYet,
    TooManyInvitationAttempts,
)
from events.images import renditions_create
from events.models import (
    EmailDelivery,
    Event,
    Invitation,
    Registration,
    RegistrationStatusChange,
    Session,
)
from events.times import in_zone, zone_label

COPIED_M2M_FIELDS = ("audiences", "product_areas", "topics", "languages", "partners")


def events_changed() -> None:
    """The events' content changed: a new content version (the kept parts of pages showing it
    are not read again), and the list's bitsets built again once the transaction commits."""
    content_changed("events")
    transaction.on_commit(event_bitsets_refresh_queue)


def event_bitsets_refresh_queue() -> None:
    from events.tasks import refresh_event_bitsets

    build_queue(refresh_event_bitsets)


def event_bitsets_refresh() -> int:
    """Build the bitsets from which the event list counts its facets
    (events.selectors.event_bitsets) and keep them for the content version of now, until the
    next event ends; returns how many lists were kept."""
    from events.selectors import EVENT_BITSETS, event_bitsets

    # The version is read first: a change while building makes these bitsets old at once.
    version = content_versions()["events"]
    if version is None:
        return 0  # the cache is unreachable: nobody could tell the bitsets current
    bitsets, valid_until = event_bitsets()
    store_bitsets(EVENT_BITSETS, bitsets, version=version, valid_until=valid_until)
    return 1


def _shift_days(value: datetime | None, *, days: int, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """The same local wall-clock time `days` calendar days later, in the event's zone.

    Shifting the UTC instant would move the time by an hour when one date is in summer time and
    the other is not; people remember "09:00 Geneva, Tuesday".
    """
    if value is None:
        return None
    local = timezone.localtime(value, tz).replace(tzinfo=None)
    # fold=0: an hour repeated by a clock change resolves to its first occurrence.
    return (local + timedelta(days=days)).replace(tzinfo=tz)


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
def event_copy_as_next_edition(*, event: Event, start_date: date, user=None) -> Event:
    """Copy an event as a draft of its next edition, starting on `start_date`, for staff to
    edit and publish.

    Every date moves by the same number of days, the one from the first day of the edition to
    `start_date` as the days fall in the event's time zone, and keeps its local time of day: the
    sessions keep their spacing and, when `start_date` falls on the same weekday as the first
    day, their weekdays (a Tuesday/Thursday programme stays on Tuesdays and Thursdays);
    registration and cancellation dates move the same way. What describes the event is kept:
    taxonomy, partners, banner, the agenda with its speakers and topics. What only the past
    edition had is left behind: recordings, session resources, materials, outcome figures, the
    meeting link and the publication date.
    """
    source = Event.objects.get(pk=event.pk)
    tz = source.tz
    first_day = timezone.localtime(source.start, tz).date()
    days = (start_date - first_day).days
    year = source.edition_year + (start_date.year - first_day.year)

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
        setattr(copy, name, _shift_days(getattr(source, name), days=days, tz=tz))
    copy.cancellation_deadline = _shift_days(source.cancellation_deadline, days=days, tz=tz)
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
            start=_shift_days(session.start, days=days, tz=tz),
            end=_shift_days(session.end, days=days, tz=tz),
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
            change_message=(
                f"Copied from “{source}” (id {source.pk}) as the next edition, {days} days later."
            ),
            single_object=True,
        )
    events_changed()
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
    events_changed()
    return event


def _capacity_raised(old: int | None, new: int | None) -> bool:
    """More seats than before: a higher number, or no limit any more."""
    if old == new:
        return False
    return new is None or (old is not None and new > old)


def event_update(
    *,
    event: Event,
    changed: Iterable[str] = (),
    previous_capacity: int | None = None,
    created: bool = False,
    by=None,
) -> list[Registration]:
    """Save an event that staff created or changed (validated by their form), with what
    follows, in one transaction: new banner copies when the banner changed, the first
    publication date when it is published, and seats given to the waiting list, in order, when
    the capacity was raised. Returns the registrations confirmed from the waiting list."""
    with transaction.atomic():
        event.save()
        events_changed()
        return _event_changed(
            event=event,
            changed=set(changed),
            previous_capacity=previous_capacity,
            created=created,
            by=by,
        )


def _event_changed(*, event, changed, previous_capacity, created, by) -> list[Registration]:
    if "banner" in changed:
        event_banner_renditions_update(event=event)
    if event.status == Event.Status.PUBLISHED and event.published_at is None:
        event_publish(event=event)
    if not created and _capacity_raised(previous_capacity, event.capacity):
        return event_fill_from_waiting_list(event=event, by=by)
    return []


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
    events_changed()


# --- Registrations ------------------------------------------------------------------------------
#
# Every rule of registering lives here, so that the register form, the admin actions and the
# management commands apply the same ones. Seats are counted and taken while the event's row is
# locked (SELECT … FOR UPDATE on PostgreSQL), in one transaction, so that concurrent requests
# can never confirm more people than the event has seats.

Status = Registration.Status


def _locked_event(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _record(registration: Registration, *, old: str, by=None, reason: str = "") -> None:
    RegistrationStatusChange.objects.create(
        registration=registration,
        from_status=old,
        to_status=registration.status,
        changed_by=by,
        reason=reason[:300],
    )


def _set_status(registration: Registration, status: str, *, by=None, reason: str = "") -> None:
    old = registration.status
    registration.status = status
    registration.waitlisted_at = timezone.now() if status == Status.WAITLISTED else None
    registration.save(update_fields=["status", "waitlisted_at", "updated_at"])
    _record(registration, old=old, by=by, reason=reason)


def registration_check_window(*, event: Event, now: datetime | None = None) -> None:
    """Raise unless the event takes registrations on this portal right now."""
    now = now or timezone.now()
    if event.registration_mode == Event.RegistrationMode.EXTERNAL:
        raise RegistrationClosed  # registration is on the organiser's website
    if event.status == Event.Status.PUBLISHED and event.registration_not_open_yet(now):
        raise RegistrationNotOpenYet(
            _("Registration opens on %(date)s, %(zone)s.")
            % {
                "date": date_format(in_zone(event.registration_opens, event.tz), "DATETIME_FORMAT"),
                "zone": zone_label(event.registration_opens, event.tz),
            }
        )
    if not event.registration_is_open(now):
        raise RegistrationClosed


def _check_audience(event: Event, user) -> bool:
    """Raise NotInAudience for someone outside a restricted event's audiences; return whether
    their place needs the organisers' approval (their type of organisation is self-declared)."""
    fit = event.audience_fit(user)
    if fit == Event.AUDIENCE_OUT:
        names = ", ".join(str(audience) for audience in event.audiences.all())
        raise NotInAudience(
            _(
                "This event is only for: %(audiences)s. If your profile's type of organisation "
                "is wrong, correct it in My account."
            )
            % {"audiences": names}
        )
    return fit == Event.AUDIENCE_UNVERIFIED


# Wrong invitation codes, counted in the shared cache: past either limit, even a right code is
# refused until the window ends, so that codes cannot be guessed by trying many.
INVITATION_FAILURES_PER_PERSON = Limit("invitation-person", limit=5, seconds=15 * 60)
INVITATION_FAILURES_PER_ADDRESS = Limit("invitation-address", limit=10, seconds=15 * 60)


def _usable_invitation(
    event: Event, user, code: str, now: datetime, address: str
) -> Invitation | None:
    if event.registration_mode != Event.RegistrationMode.INVITATION:
        return None
    code = (code or "").strip()
    if not code:
        raise InvitationRequired
    limits = [(INVITATION_FAILURES_PER_PERSON, f"user:{user.pk}")]
    if address:
        limits.append((INVITATION_FAILURES_PER_ADDRESS, address))
    if any(limit.exceeded(key) for limit, key in limits):
        raise TooManyInvitationAttempts
    invitation = (
        Invitation.objects.select_for_update().filter(event=event, code__iexact=code).first()
    )
    if (
        invitation is None
        or invitation.uses >= invitation.max_uses
        or (invitation.expires_at and invitation.expires_at <= now)
        or (invitation.email and invitation.email.lower() != user.email.lower())
    ):
        for limit, key in limits:
            limit.hit(key)
        raise InvalidInvitation
    return invitation


def registration_profile_snapshot(*, user) -> dict:
    """The profile as it is when registering: reports count people as they were then."""
    return {
        "full_name": user.full_name,
        "organisation": user.organisation,
        "organisation_type": user.organisation_type,
        "job_title": user.job_title,
        "country": user.country,
        "who_region": user.who_region,
    }


def registration_create(
    *,
    event: Event,
    user,
    answers: dict | None = None,
    consent: bool,
    invitation_code: str = "",
    address: str = "",
    now: datetime | None = None,
) -> Registration:
    """Register a person for an event, applying every rule, and queue the email that says so.

    Open events confirm while seats are free and put later people on the waiting list, first
    come first served; approval events take requests that staff approve or reject.
    `address` is where the request came from (`accounts.ratelimits.client_address`), for the
    limit on wrong invitation codes.
    """
    now = now or timezone.now()
    with transaction.atomic():
        event = _locked_event(event)
        # First come, first served is the order in which the lock was obtained.
        arrived = max(now, timezone.now())
        registration_check_window(event=event, now=now)
        needs_approval = _check_audience(event, user)
        if not consent:
            raise ConsentRequired
        if Registration.objects.filter(
            event=event, user=user, status__in=Registration.ACTIVE
        ).exists():
            raise AlreadyRegistered
        invitation = _usable_invitation(event, user, invitation_code, now, address)
        if event.registration_mode == Event.RegistrationMode.APPROVAL or needs_approval:
            status = Status.PENDING
        elif event.has_free_seat():
            status = Status.CONFIRMED
        else:
            status = Status.WAITLISTED
        registration = Registration.objects.create(
            event=event,
            user=user,
            status=status,
            **registration_profile_snapshot(user=user),
            answers=answers or {},
            consent_at=now,
            invitation=invitation,
            waitlisted_at=arrived if status == Status.WAITLISTED else None,
            created_at=arrived,
        )
        reason = "registered, type of organisation to verify" if needs_approval else "registered"
        _record(registration, old="", by=user, reason=reason)
        if invitation is not None:
            Invitation.objects.filter(pk=invitation.pk).update(uses=F("uses") + 1)
        email_queue(registration=registration, kind=status)
    return registration


def registration_cancel(*, registration: Registration, by, reason: str = "") -> Registration | None:
    """Cancel a registration; a freed seat goes to the first person on the waiting list, in the
    same transaction. Participants may cancel until the cancellation deadline (by default the
    start of the event); staff at any time. Returns the promoted registration, if any."""
    with transaction.atomic():
        event = _locked_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in Registration.ACTIVE:
            raise InvalidTransition(_("This registration is not active."))
        registration.event = event
        if not by.is_staff and not registration.participant_may_cancel():
            raise CancellationClosed
        freed_seat = registration.status == Status.CONFIRMED
        _set_status(registration, Status.CANCELLED, by=by, reason=reason or "cancelled")
        email_queue(registration=registration, kind="cancelled")
        return _promote_next(event, by=None) if freed_seat else None


def _promote_next(event: Event, *, by) -> Registration | None:
    if not event.has_free_seat():
        return None
    waiting = (
        Registration.objects.select_for_update()
        .filter(event=event, status=Status.WAITLISTED)
        .order_by("waitlisted_at", "pk")
        .first()
    )
    if waiting is None:
        return None
    _set_status(waiting, Status.CONFIRMED, by=by, reason="promoted from the waiting list")
    email_queue(registration=waiting, kind="promoted")
    return waiting


def event_fill_from_waiting_list(*, event: Event, by=None) -> list[Registration]:
    """Confirm people from the waiting list, in order, while seats are free (e.g. after staff
    raised the capacity)."""
    promoted = []
    with transaction.atomic():
        event = _locked_event(event)
        while (registration := _promote_next(event, by=by)) is not None:
            promoted.append(registration)
    return promoted


def registration_approve(*, registration: Registration, by) -> Registration:
    """Approve a request: confirmed while seats are free, else onto the waiting list."""
    with transaction.atomic():
        event = _locked_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != Status.PENDING:
            raise InvalidTransition(_("Only pending requests can be approved."))
        if event.has_free_seat():
            _set_status(registration, Status.CONFIRMED, by=by, reason="approved")
            email_queue(registration=registration, kind="approved")
        else:
            _set_status(registration, Status.WAITLISTED, by=by, reason="approved, event full")
            email_queue(registration=registration, kind="waitlisted")
    return registration


def registration_reject(*, registration: Registration, by, reason: str = "") -> Registration:
    with transaction.atomic():
        _locked_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in (Status.PENDING, Status.WAITLISTED):
            raise InvalidTransition(_("Only pending or waiting requests can be rejected."))
        _set_status(registration, Status.REJECTED, by=by, reason=reason or "rejected")
        email_queue(registration=registration, kind="rejected")
    return registration


def registration_promote(*, registration: Registration, by) -> Registration:
    """Staff move one person from the waiting list to a free seat."""
    with transaction.atomic():
        event = _locked_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != Status.WAITLISTED:
            raise InvalidTransition(_("Only people on the waiting list can be promoted."))
        if not event.has_free_seat():
            raise NoSeatAvailable
        _set_status(registration, Status.CONFIRMED, by=by, reason="promoted by staff")
        email_queue(registration=registration, kind="promoted")
    return registration


def registration_resend_confirmation(*, registration: Registration) -> EmailDelivery:
    if registration.status != Status.CONFIRMED:
        raise InvalidTransition(_("Only confirmed registrations get a confirmation."))
    return email_queue(
        registration=registration,
        kind="confirmed",
        key_suffix=f"resend-{timezone.now():%Y%m%d%H%M%S%f}",
    )
