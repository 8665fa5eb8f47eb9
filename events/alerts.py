"""Alerts: signed-in people hear of new events and resources that match what they follow.

A person's subscriptions (AlertSubscription) each say what they want (new events, new resources
or both), narrowed by programmes, topics, WHO regions and product areas; an empty list means any.

`alerts_send` (the `send_alerts` command, every few minutes) finds the events and resources made
public since they were last considered, matches each one once against the subscriptions
(AlertItem is unique per item) and records at most one Alert per person and item, ever (a unique
constraint), whatever the number of matching subscriptions, retries or republications. Immediate
subscribers get one email per item through the outbox (EmailDelivery); weekly subscribers get one
digest a week, with what was gathered before the week began (Monday, UTC).

Repository is the lower layer and cannot call events when it publishes, hence the scheduled run.
A resource only goes to people who may open it (repository.models.access_level_of), and every
email carries a one-click unsubscribe link (a signed token, RFC 8058 List-Unsubscribe headers).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.content_languages import translated
from events.emails import delivery_queue
from events.exceptions import (
    AlertError,
    InvalidUnsubscribeLink,
    NothingChosen,
    RegistrationAlreadyOpen,
    TooManyAlerts,
)
from events.models import (
    Alert,
    AlertItem,
    AlertSubscription,
    EmailDelivery,
    Event,
    RegistrationOpeningNotice,
    RegistrationStatus,
)
from repository.models import Region, Resource, Topic

logger = logging.getLogger(__name__)

# How far back a run looks for items not considered yet: a scheduler stopped for less than this
# loses nothing. Items older than that when alerts are first deployed are never alerted.
LOOKBACK = timedelta(days=7)
MAX_SUBSCRIPTIONS = 20
UNSUBSCRIBE_SALT = "events.alerts.unsubscribe"

Frequency = AlertSubscription.Frequency


# --- Subscriptions (My account) -----------------------------------------------------------------


def alert_subscriptions_of_user(*, user) -> list[AlertSubscription]:
    """The person's subscriptions with the names of what each one follows: five queries."""
    return list(
        AlertSubscription.objects.filter(user=user)
        .prefetch_related(
            "programmes",
            Prefetch("topics", queryset=Topic.objects.select_related("parent")),
            "regions",
            "product_areas",
        )
        .order_by("created_at", "pk")
    )


def _subscription_save(
    *,
    subscription: AlertSubscription,
    new_events: bool,
    new_resources: bool,
    frequency: str,
    programmes: Iterable,
    topics: Iterable,
    regions: Iterable,
    product_areas: Iterable,
) -> AlertSubscription:
    if not (new_events or new_resources):
        raise NothingChosen()
    if frequency not in Frequency.values:
        raise AlertError(_("Choose how often you want to be told."))
    subscription.new_events = new_events
    subscription.new_resources = new_resources
    subscription.frequency = frequency
    with transaction.atomic():
        subscription.save()
        subscription.programmes.set(programmes)
        subscription.topics.set(topics)
        subscription.regions.set(regions)
        subscription.product_areas.set(product_areas)
    return subscription


def alert_subscription_create(*, user, **choices) -> AlertSubscription:
    """A new subscription of the person; at most MAX_SUBSCRIPTIONS each. It alerts the items
    made public from now on, not the ones published before."""
    if AlertSubscription.objects.filter(user=user).count() >= MAX_SUBSCRIPTIONS:
        raise TooManyAlerts()
    return _subscription_save(subscription=AlertSubscription(user=user), **choices)


def alert_subscription_update(*, subscription: AlertSubscription, **choices) -> AlertSubscription:
    return _subscription_save(subscription=subscription, **choices)


def alert_subscription_delete(*, subscription: AlertSubscription) -> None:
    subscription.delete()


def alert_subscriptions_erase_for_user(user) -> int:
    """When a person deletes their account: what they followed and what they were sent go."""
    with transaction.atomic():
        Alert.objects.filter(user=user).delete()
        deleted, _by_model = AlertSubscription.objects.filter(user=user).delete()
    return deleted


def alert_subscriptions_export(user) -> list[dict]:
    """The person's subscriptions for their personal-data download."""
    return [
        {
            "new_events": subscription.new_events,
            "new_resources": subscription.new_resources,
            "frequency": subscription.frequency,
            "programmes": [programme.slug for programme in subscription.programmes.all()],
            "topics": [topic.slug for topic in subscription.topics.all()],
            "regions": [region.code for region in subscription.regions.all()],
            "product_areas": [area.code for area in subscription.product_areas.all()],
            "created_at": subscription.created_at.isoformat(),
        }
        for subscription in alert_subscriptions_of_user(user=user)
    ]


# --- Unsubscribing without signing in -----------------------------------------------------------


def unsubscribe_token(*, subscriptions: Iterable[AlertSubscription]) -> str:
    """A signed token naming, by their random keys, the subscriptions an email's link stops:
    nothing in it says who the person is, and once those subscriptions are gone (unsubscribed,
    or the account deleted) it stops nothing."""
    keys = ".".join(sorted(subscription.key for subscription in subscriptions))
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(keys)


def unsubscribe_url(*, subscriptions: Iterable[AlertSubscription]) -> str:
    token = unsubscribe_token(subscriptions=subscriptions)
    return settings.SITE_URL + reverse("events:alerts_unsubscribe", kwargs={"token": token})


def unsubscribe_subscriptions(*, token: str) -> QuerySet[AlertSubscription]:
    """The subscriptions that the token stops and that still exist (none if already stopped).

    Raises InvalidUnsubscribeLink for a token that was not made here or has been altered.
    """
    try:
        keys = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token).split(".")
    except signing.BadSignature as error:
        raise InvalidUnsubscribeLink() from error
    return AlertSubscription.objects.filter(key__in=keys)


def alert_unsubscribe(*, token: str) -> int:
    """Stop the subscriptions an email's link names; returns how many were stopped (0 when they
    already were). Raises InvalidUnsubscribeLink for a forged or altered token."""
    subscriptions = unsubscribe_subscriptions(token=token)
    deleted = 0
    with transaction.atomic():
        for subscription in subscriptions:
            alert_subscription_delete(subscription=subscription)
            deleted += 1
    return deleted


# --- Finding new items and who follows them -----------------------------------------------------


@dataclass
class AlertRun:
    """What a run did (or, in a dry run, would do)."""

    events: int = 0
    resources: int = 0
    alerts: int = 0
    emails: int = 0
    digests: int = 0
    openings: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"New events: {self.events}, new resources: {self.resources}, "
            f"alerts: {self.alerts}, emails queued: {self.emails}, digests queued: {self.digests}, "
            f"registration openings told: {self.openings}"
        )


def _considered(column: str) -> QuerySet:
    return AlertItem.objects.filter(**{f"{column}__isnull": False}).values(column)


def new_events(*, now: datetime) -> QuerySet[Event]:
    """Events published since `now - LOOKBACK` that have not ended, not considered yet."""
    return (
        Event.objects.filter(status=Event.Status.PUBLISHED, end__gte=now)
        .annotate(made_public=Coalesce("published_at", "created_at"))
        .filter(made_public__gt=now - LOOKBACK, made_public__lte=now)
        .exclude(pk__in=_considered("event"))
        .select_related("programme")
        .prefetch_related("topics", "product_areas")
        .order_by("made_public", "pk")
    )


def new_resources(*, now: datetime) -> QuerySet[Resource]:
    """Resources made public (published, out of embargo) since `now - LOOKBACK`, not considered
    yet."""
    return (
        Resource.objects.made_public_since(now - LOOKBACK, now=now)
        .exclude(pk__in=_considered("resource"))
        .defer("body", "citation", "search_metadata", "search_full")
        .prefetch_related("topics", "product_areas", "regions")
        .order_by("made_public", "pk")
    )


def _any_or_among(name: str, ids: Iterable[int]) -> Q:
    """The subscription follows any value of this list (it chose none), or one of `ids`."""
    relation = AlertSubscription._meta.get_field(name)
    rows = relation.remote_field.through.objects.filter(
        **{relation.m2m_field_name(): OuterRef("pk")}
    )
    return ~Exists(rows) | Exists(rows.filter(**{f"{relation.m2m_reverse_field_name()}__in": ids}))


def _with_broader(topics: Iterable[Topic]) -> set[int]:
    """A subscription to a broad topic follows its narrower topics too."""
    return {topic.pk for topic in topics} | {t.parent_id for t in topics if t.parent_id}


def matching_subscriptions(*, item: Event | Resource) -> QuerySet[AlertSubscription]:
    """The subscriptions of active people that an event or a resource matches, on every list
    they narrow, and that existed when the item became public.

    A global event, or a resource tied to no region, concerns every region.
    """
    subscriptions = AlertSubscription.objects.filter(
        user__is_active=True,
        user__anonymised_at__isnull=True,
        created_at__lte=item.made_public,
    ).select_related("user")
    topics = _with_broader(item.topics.all())
    product_areas = [area.pk for area in item.product_areas.all()]
    if isinstance(item, Event):
        subscriptions = subscriptions.filter(new_events=True)
        programmes = [item.programme_id]
        regions = (
            None
            if item.region == Event.GLOBAL
            else list(Region.objects.filter(code=item.region).values_list("pk", flat=True))
        )
    else:
        subscriptions = subscriptions.filter(new_resources=True)
        # Resources reach a programme through the events that use them.
        programmes = set(
            Event.objects.filter(Q(materials=item) | Q(sessions__resources=item)).values_list(
                "programme_id", flat=True
            )
        )
        regions = [region.pk for region in item.regions.all()] or None
    conditions = [
        _any_or_among("programmes", programmes),
        _any_or_among("topics", topics),
        _any_or_among("product_areas", product_areas),
    ]
    if regions is not None:
        conditions.append(_any_or_among("regions", regions))
    return subscriptions.filter(*conditions).order_by("user_id", "created_at", "pk")


def _chosen_per_person(item, subscriptions: Iterable[AlertSubscription]) -> dict:
    """One subscription per person: an immediate one wins over a weekly one. A resource goes
    only to people who may open it."""
    chosen: dict[int, AlertSubscription] = {}
    for subscription in subscriptions:
        if isinstance(item, Resource) and not item.can_open_files(subscription.user):
            continue
        current = chosen.get(subscription.user_id)
        if current is None or (
            current.frequency == Frequency.WEEKLY and subscription.frequency == Frequency.IMMEDIATE
        ):
            chosen[subscription.user_id] = subscription
    return chosen


def _item_alert(*, item: Event | Resource, now: datetime, run: AlertRun, dry_run: bool) -> None:
    """Consider one new item once: record its alerts and queue the immediate emails."""
    chosen = _chosen_per_person(item, matching_subscriptions(item=item))
    run.alerts += len(chosen)
    run.emails += sum(1 for s in chosen.values() if s.frequency == Frequency.IMMEDIATE)
    if dry_run:
        return
    column = "event" if isinstance(item, Event) else "resource"
    with transaction.atomic():
        try:
            with transaction.atomic():
                alert_item = AlertItem.objects.create(
                    **{column: item}, made_public_at=item.made_public, considered_at=now
                )
        except IntegrityError:
            # Another run considered it first: its alerts are its own.
            run.skipped.append(f"{column} {item.pk}")
            run.alerts -= len(chosen)
            run.emails -= sum(1 for s in chosen.values() if s.frequency == Frequency.IMMEDIATE)
            return
        alerts = Alert.objects.bulk_create(
            Alert(
                user_id=user_id,
                item=alert_item,
                subscription=subscription,
                frequency=subscription.frequency,
                created_at=now,
            )
            for user_id, subscription in chosen.items()
        )
        for alert in alerts:
            if alert.frequency == Frequency.IMMEDIATE:
                subscription = chosen[alert.user_id]
                delivery = _alert_email_queue(
                    user=subscription.user,
                    key=f"alert:{alert.pk}",
                    items=[item],
                    subscriptions=[subscription],
                )
                alert.delivery = delivery
                alert.queued_at = now
        Alert.objects.bulk_update(
            [alert for alert in alerts if alert.queued_at], ["delivery", "queued_at"]
        )


def alerts_send(*, now: datetime | None = None, dry_run: bool = False) -> AlertRun:
    """Match the events and resources made public since they were last considered, queue the
    immediate alerts, and the weekly digests that are due. Idempotent: an item is alerted to a
    person once, and a digest goes once a week, however often this runs.

    With `dry_run`, counts what would be sent and changes nothing.
    """
    now = now or timezone.now()
    run = AlertRun()
    for event in new_events(now=now):
        run.events += 1
        _item_alert(item=event, now=now, run=run, dry_run=dry_run)
    for resource in new_resources(now=now):
        run.resources += 1
        _item_alert(item=resource, now=now, run=run, dry_run=dry_run)
    run.digests = digests_queue(now=now, dry_run=dry_run)
    run.openings = registration_openings_notify(now=now, dry_run=dry_run)
    return run


# --- Weekly digests -----------------------------------------------------------------------------


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the week of `moment`."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _digest_key(*, user_id: int, now: datetime) -> str:
    year, week, _day = now.astimezone(UTC).isocalendar()
    return f"alerts-weekly:{user_id}:{year}-W{week:02d}"


def _still_public(item: Event | Resource, user, now: datetime) -> bool:
    if isinstance(item, Event):
        return item.status == Event.Status.PUBLISHED and item.end >= now
    return item.is_public(now) and item.can_open_files(user)


def digests_queue(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Queue one digest per person and week with their weekly alerts gathered before the week
    began; returns how many digests were queued (or would be). Items withdrawn since are left
    out for good. A second run in the same week finds the week's digest and queues nothing."""
    now = now or timezone.now()
    due = Alert.objects.filter(
        frequency=Frequency.WEEKLY,
        queued_at__isnull=True,
        created_at__lt=week_start(now),
        user__is_active=True,
    )
    user_ids = sorted(set(due.values_list("user_id", flat=True)))
    already = set(
        EmailDelivery.objects.filter(
            key__in=[_digest_key(user_id=user_id, now=now) for user_id in user_ids]
        ).values_list("key", flat=True)
    )
    user_ids = [pk for pk in user_ids if _digest_key(user_id=pk, now=now) not in already]
    if dry_run:
        return len(user_ids)
    count = 0
    for user_id in user_ids:
        with transaction.atomic():
            alerts = list(
                due.filter(user_id=user_id)
                .select_for_update(of=("self",))
                .select_related("user", "item__event__programme", "item__resource", "subscription")
                .order_by("item__made_public_at", "pk")
            )
            if not alerts:
                continue
            user = alerts[0].user
            items = [alert.item.event or alert.item.resource for alert in alerts]
            shown = [item for item in items if _still_public(item, user, now)]
            delivery = None
            if shown:
                weekly = AlertSubscription.objects.filter(user=user, frequency=Frequency.WEEKLY)
                delivery = _alert_email_queue(
                    user=user,
                    key=_digest_key(user_id=user_id, now=now),
                    items=shown,
                    subscriptions=weekly.only("key"),
                    digest=True,
                )
                count += 1
            Alert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(
                queued_at=now, delivery=delivery
            )
    return count


# --- The emails ---------------------------------------------------------------------------------


def _entry(item: Event | Resource) -> dict:
    if isinstance(item, Event):
        return {"event": item, "url": settings.SITE_URL + item.get_absolute_url()}
    return {"resource": item, "url": settings.SITE_URL + item.get_absolute_url()}


def _subject(items: list, digest: bool) -> str:
    if digest:
        return ngettext(
            "Your weekly alert: %(count)d new item on the LPA Portal",
            "Your weekly alert: %(count)d new items on the LPA Portal",
            len(items),
        ) % {"count": len(items)}
    item = items[0]
    if isinstance(item, Event):
        return _("New event: %(title)s") % {"title": translated(item, "title").value}
    return _("New resource: %(title)s") % {"title": translated(item, "title").value}


def _alert_email_queue(
    *,
    user,
    key: str,
    items: list,
    subscriptions: Iterable[AlertSubscription],
    digest: bool = False,
) -> EmailDelivery:
    """Render the alert (or the digest) in the person's language and put it in the outbox,
    with the headers that let mail programs offer a one-click unsubscribe (RFC 8058)."""
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        unsubscribe = unsubscribe_url(subscriptions=subscriptions)
        context = {
            "user": user,
            "entries": [_entry(item) for item in items],
            "digest": digest,
            "unsubscribe_url": unsubscribe,
            "alerts_url": settings.SITE_URL + reverse("events:alerts"),
            "site_name": "LPA Portal",
        }
        subject = str(_subject(items, digest))
        body_text = render_to_string("emails/alert.txt", context)
        body_html = render_to_string("emails/alert.html", context)
    return delivery_queue(
        key=key,
        to=user.email,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


# --- "Notify me when registration opens" --------------------------------------------------------


def registration_opening_notice_request(
    *, event: Event, user, now: datetime | None = None
) -> RegistrationOpeningNotice:
    """The person will get one email when registration opens for the event. Only for a
    published event whose registration has not opened yet (RegistrationAlreadyOpen otherwise);
    asking twice changes nothing."""
    if event.status != Event.Status.PUBLISHED or (
        event.registration_status(now) != RegistrationStatus.NOT_YET
    ):
        raise RegistrationAlreadyOpen()
    notice, _created = RegistrationOpeningNotice.objects.get_or_create(event=event, user=user)
    return notice


def registration_opening_notice_cancel(*, event: Event, user) -> int:
    """The person no longer wants the email (if it has not gone yet); returns how many notices
    were withdrawn (0 or 1)."""
    deleted, _by_model = RegistrationOpeningNotice.objects.filter(
        event=event, user=user, done_at__isnull=True
    ).delete()
    return deleted


def registration_opening_notice_requested(*, event: Event, user) -> bool:
    return (
        user.is_authenticated
        and RegistrationOpeningNotice.objects.filter(
            event=event, user=user, done_at__isnull=True
        ).exists()
    )


def registration_openings_notify(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Email everyone who asked, once registration has opened: one email per person and event
    (a unique key in the outbox, and the notice marked as dealt with in the same transaction),
    however often this runs. Notices of events whose opening moved later wait; those of events
    cancelled, or whose registration closed before a run could tell, are dropped without an
    email. Returns how many emails were queued (or would be)."""
    now = now or timezone.now()
    due = (
        RegistrationOpeningNotice.objects.filter(
            done_at__isnull=True, event__registration_opens__lte=now, user__is_active=True
        )
        .select_related("event__programme", "user")
        .order_by("event_id", "pk")
    )
    queued = 0
    for notice in due:
        event = notice.event
        status = event.registration_status(now)
        if status == RegistrationStatus.NOT_YET:
            continue
        taking = event.status == Event.Status.PUBLISHED and status in RegistrationStatus.TAKING
        queued += taking
        if dry_run:
            continue
        with transaction.atomic():
            locked = (
                RegistrationOpeningNotice.objects.select_for_update()
                .filter(pk=notice.pk, done_at__isnull=True)
                .first()
            )
            if locked is None:  # another run dealt with it
                queued -= taking
                continue
            locked.done_at = now
            if taking:
                locked.delivery = _opening_email_queue(notice=notice)
            locked.save(update_fields=["done_at", "delivery"])
    return queued


def _opening_email_queue(*, notice: RegistrationOpeningNotice) -> EmailDelivery:
    user, event = notice.user, notice.event
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "user": user,
            "event": event,
            "event_url": settings.SITE_URL + event.get_absolute_url(),
            "alerts_url": settings.SITE_URL + reverse("events:alerts"),
            "site_name": "LPA Portal",
        }
        subject = str(
            _("Registration is open: %(event)s") % {"event": translated(event, "title").value}
        )
        body_text = render_to_string("emails/registration_opens.txt", context)
        body_html = render_to_string("emails/registration_opens.html", context)
    return delivery_queue(
        key=f"registration-opens:{notice.pk}",
        to=user.email,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
    )


def registration_opening_notices_of_user(*, user) -> list[RegistrationOpeningNotice]:
    """The events the person waits to hear about (My account → Alerts)."""
    return list(
        RegistrationOpeningNotice.objects.filter(user=user, done_at__isnull=True)
        .select_related("event")
        .order_by("event__start", "pk")
    )


def registration_opening_notices_export(user) -> list[dict]:
    """The person's notices, for their personal-data download."""
    return [
        {
            "event": notice.event.title,
            "asked_at": notice.created_at.isoformat(),
            "emailed_at": notice.done_at.isoformat() if notice.delivery_id else None,
        }
        for notice in RegistrationOpeningNotice.objects.filter(user=user).select_related("event")
    ]


def registration_opening_notices_erase_for_user(user) -> int:
    deleted, _by_model = RegistrationOpeningNotice.objects.filter(user=user).delete()
    return deleted
