"""Emails to registrants: rendered in the person's language when queued, sent by a background task.

Each email is a row (EmailDelivery) with a unique key, created in the same transaction as the
change it reports, and sent only after that transaction commits. Sending is idempotent: a retried
or duplicated task finds the row already sent and does nothing. A failed send stays in the table
and is retried later (`manage.py send_pending_emails`); the registration is never touched.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.content_languages import translated
from events.models import EmailDelivery, Registration

logger = logging.getLogger(__name__)

SUBJECTS = {
    "confirmed": _("Your place is confirmed: %(event)s"),
    "waitlisted": _("You are on the waiting list: %(event)s"),
    "pending": _("We have received your registration request: %(event)s"),
    "promoted": _("A place is free for you: %(event)s"),
    "approved": _("Your registration is approved: %(event)s"),
    "rejected": _("Your registration request: %(event)s"),
    "cancelled": _("Your registration is cancelled: %(event)s"),
    "reminder_days": _("Reminder: %(event)s starts soon"),
    "reminder_hours": _("Starting in a few hours: %(event)s"),
    "survey": _("How was %(event)s? Tell us in two minutes"),
}
# Confirmed places carry the calendar file and (online) the meeting link.
CONFIRMING_KINDS = {"confirmed", "promoted", "approved", "reminder_days", "reminder_hours"}
# Emails to people whose registration is active, who may still cancel it themselves.
CANCELLABLE_KINDS = {"confirmed", "promoted", "approved", "waitlisted", "pending"}


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def email_queue(*, registration: Registration, kind: str, key_suffix: str = "") -> EmailDelivery:
    """Render the email of this kind for the registrant and queue it, once per key."""
    from events.calendars import event_calendar

    key = f"{kind}:{registration.pk}" + (f":{key_suffix}" if key_suffix else "")
    existing = EmailDelivery.objects.filter(key=key).first()
    if existing is not None:
        return existing
    user = registration.user
    event = registration.event
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "registration": registration,
            "event": event,
            "user": user,
            "kind": kind,
            "event_url": _absolute(event.get_absolute_url()),
            "registrations_url": _absolute(_my_registrations_path()),
            "survey_url": _absolute(_survey_path(registration)) if kind == "survey" else "",
            "show_meeting_link": kind in CONFIRMING_KINDS and bool(event.meeting_url),
            # The same deadline as the cancel button's (`Event.cancellation_is_open`).
            "cancel_until": event.cancellation_closes
            if kind in CANCELLABLE_KINDS and event.cancellation_is_open()
            else None,
            "site_name": "LPA Portal",
        }
        subject = str(SUBJECTS[kind] % {"event": translated(event, "title").value})
        body_text = render_to_string("emails/registration.txt", context)
        body_html = render_to_string("emails/registration.html", context)
        ics = ""
        if kind in CONFIRMING_KINDS:
            ics = event_calendar(event=event, base_url=settings.SITE_URL + "/").to_ical().decode()
    return delivery_queue(
        key=key,
        registration=registration,
        to=user.email,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        ics=ics,
        ics_filename=f"{event.slug}.ics" if ics else "",
    )


def access_decision_email_queue(access_request) -> EmailDelivery:
    """The email that tells a person whether staff granted their request for a restricted file
    (repository.access_requests hands the decision over; it cannot reach the outbox itself)."""
    from django.urls import reverse

    user = access_request.user
    file = access_request.file
    resource = file.resource
    granted = access_request.status == "granted"
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "user": user,
            "access_request": access_request,
            "resource": resource,
            "file": file,
            "granted": granted,
            "resource_url": _absolute(resource.get_absolute_url()),
            "download_url": _absolute(
                reverse("repository:download", kwargs={"slug": resource.slug, "file_id": file.pk})
            ),
            "site_name": "LPA Portal",
        }
        subject = (
            _("Access granted: %(resource)s") if granted else _("Your request for %(resource)s")
        ) % {"resource": translated(resource, "title").value}
        body_text = render_to_string("emails/access_decision.txt", context)
        body_html = render_to_string("emails/access_decision.html", context)
    return delivery_queue(
        key=f"access-request:{access_request.pk}:{access_request.status}",
        to=user.email,
        subject=str(subject),
        body_text=body_text,
        body_html=body_html,
    )


def delivery_queue(*, key: str, to: str, subject: str, body_text: str, **fields) -> EmailDelivery:
    """Put one rendered email in the outbox under its unique key, and have the task send it once
    the caller's transaction commits. A key already queued returns the existing row unchanged."""
    try:
        # A savepoint: losing a race for the same key must not undo the caller's transaction.
        with transaction.atomic():
            delivery = EmailDelivery.objects.create(
                key=key, to=to, subject=subject[:300], body_text=body_text, **fields
            )
    except IntegrityError:
        return EmailDelivery.objects.get(key=key)
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _enqueue(delivery_id: int) -> None:
    from events.tasks import send_email

    try:
        send_email.enqueue(delivery_id)
    except Exception:
        # The queue is down: the row stays pending and `send_pending_emails` sends it later.
        logger.exception("Could not queue email %s; it will be retried.", delivery_id)


def _my_registrations_path() -> str:
    from django.urls import reverse

    return reverse("events:my_registrations")


def _survey_path(registration: Registration) -> str:
    from django.urls import reverse

    return reverse("events:feedback", kwargs={"pk": registration.pk})


def email_delivery_send(*, delivery_id: int) -> str:
    """Send one queued email unless it is already sent; record the outcome. Returns the status."""
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                pk=delivery_id,
                status__in=[EmailDelivery.Status.PENDING, EmailDelivery.Status.FAILED],
            )
            .first()
        )
        if delivery is None:
            return "skipped"
        message = EmailMultiAlternatives(
            subject=delivery.subject,
            body=delivery.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.to],
            headers=delivery.headers or None,
        )
        if delivery.body_html:
            message.attach_alternative(delivery.body_html, "text/html")
        if delivery.ics:
            message.attach(delivery.ics_filename, delivery.ics, "text/calendar; method=PUBLISH")
        delivery.attempts += 1
        try:
            message.send()
        except Exception as error:  # SMTP down, refused, timed out: keep it and retry later
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if delivery.attempts >= settings.EMAIL_MAX_ATTEMPTS:
                delivery.status = EmailDelivery.Status.GAVE_UP
            else:
                delivery.status = EmailDelivery.Status.FAILED
                # 1, 2, 4, 8 … minutes, at most six hours
                delay = min(2 ** (delivery.attempts - 1), 360)
                delivery.next_attempt_at = timezone.now() + timedelta(minutes=delay)
            logger.warning(
                "Email %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error
            )
        else:
            delivery.status = EmailDelivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(
            update_fields=["status", "attempts", "last_error", "next_attempt_at", "sent_at"]
        )
        return delivery.status


def emails_send_pending(*, now=None, limit: int = 500) -> dict[str, int]:
    """Send the emails that are due: never sent (e.g. the queue was down) or due for a retry."""
    now = now or timezone.now()
    due = (
        EmailDelivery.objects.filter(
            status__in=[EmailDelivery.Status.PENDING, EmailDelivery.Status.FAILED]
        )
        .exclude(next_attempt_at__gt=now)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    outcome: dict[str, int] = {}
    for delivery_id in list(due):
        status = email_delivery_send(delivery_id=delivery_id)
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


REMINDERS = (
    # (kind, how long before the start it is sent)
    ("reminder_days", timedelta(days=3)),
    ("reminder_hours", timedelta(hours=3)),
)


def reminders_queue(*, now=None) -> dict[str, int]:
    """Queue the reminders that are due for confirmed registrants: a few days and a few hours
    before the start. Each is queued once per registration (its key is unique), however often
    this runs; a registrant who confirms after a reminder's moment gets only the later ones."""
    from events.models import Event

    now = now or timezone.now()
    queued = {}
    for kind, lead in REMINDERS:
        due = Registration.objects.filter(
            status=Registration.Status.CONFIRMED,
            event__status=Event.Status.PUBLISHED,
            event__start__gt=now,
            event__start__lte=now + lead,
        )
        if kind == "reminder_days":
            # Not when the later reminder is due as well: one message is enough.
            due = due.exclude(event__start__lte=now + REMINDERS[1][1])
        already = set(
            EmailDelivery.objects.filter(key__startswith=f"{kind}:").values_list("key", flat=True)
        )
        count = 0
        for registration in due.select_related("event", "user"):
            if f"{kind}:{registration.pk}" in already:
                continue
            with transaction.atomic():
                email_queue(registration=registration, kind=kind)
            count += 1
        queued[kind] = count
    return queued
