"""Messages from staff to the registrants of one event, sent through the outbox of emails.

A message is written as a draft, checked in a preview (the email as one recipient will get it,
and the exact list of recipients), then sent. Sending fixes the recipients and moves the message
from draft to sending once, in one conditional update, so a second click or a retried request
sends nothing. Background tasks then put one email per recipient in the outbox (EmailDelivery,
with the same unique keys, task and retries as the confirmations, reminders and survey
invitations), a batch at a time; the message is sent when every recipient's email is queued.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.content_languages import language_name, translation_columns
from events.emails import delivery_queue
from events.exceptions import MessageAlreadySent, NoRecipients, RecipientsChanged
from events.models import EmailDelivery, Event, Message, Registration

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# Recipients whose email is put in the outbox by one task run; the next batch is another task.
BATCH_SIZE = 200

_Status = Registration.Status
RECIPIENT_FILTERS: dict[str, Q] = {
    Message.Recipients.CONFIRMED: Q(status=_Status.CONFIRMED),
    Message.Recipients.ATTENDED: Q(status=_Status.CONFIRMED, attended=True),
    Message.Recipients.CONFIRMED_NOT_ATTENDED: Q(status=_Status.CONFIRMED, attended=False),
    Message.Recipients.WAITLISTED: Q(status=_Status.WAITLISTED),
    Message.Recipients.PENDING: Q(status=_Status.PENDING),
    Message.Recipients.ACTIVE: Q(status__in=Registration.ACTIVE),
}


# --- Reads ---------------------------------------------------------------------------------------


def message_recipients(*, event: Event, recipients: str) -> QuerySet[Registration]:
    """The registrations of the event that a message to these recipients goes to: the chosen
    status or attendance, and only people whose account is still active (a deleted account has
    no address to write to). In registration order, with the user the email needs."""
    if recipients not in RECIPIENT_FILTERS:
        raise ValidationError({"recipients": _("Choose who the message goes to.")})
    return (
        Registration.objects.filter(RECIPIENT_FILTERS[recipients], event=event)
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def recipients_fingerprint(registration_ids: list[int]) -> str:
    """A short digest of a list of recipients: what staff confirmed must be what is sent."""
    joined = ",".join(str(pk) for pk in sorted(registration_ids))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def message_preview(*, message: Message, recipient_id: int | None = None) -> dict:
    """What sending the draft would do now: the recipients (all of them, in one query), their
    number and digest, and the email as one of them (the one asked for, else the first) would
    get it, in that person's language."""
    recipients = list(message_recipients(event=message.event, recipients=message.recipients))
    sample = next((r for r in recipients if r.pk == recipient_id), None) if recipient_id else None
    sample = sample or (recipients[0] if recipients else None)
    email = None
    if sample is not None:
        sample.event = message.event
        email = message_render(message=message, registration=sample)
        language = _language(sample)
        with translation.override(language):
            # The HTML body without its <html> frame, to show inside the admin page.
            email["body_fragment"] = render_to_string(
                "emails/_message_body.html", _email_context(message, sample)
            )
        email["language"] = translation.get_language_info(language)["name_translated"]
    return {
        "recipients": recipients,
        "count": len(recipients),
        "fingerprint": recipients_fingerprint([r.pk for r in recipients]),
        "sample": sample,
        "email": email,
        # Each version written, for staff to read them all before sending.
        "versions": [
            {
                "language": version.language,
                "name": language_name(version.language),
                "subject": version.subject,
                "body": version.value,
            }
            for version in message.versions()
        ],
    }


def message_delivery_report(*, message: Message) -> dict:
    """How far a sent message is: the recipients' emails by status, and how many are not yet in
    the outbox. The rows themselves are paged by the caller from `deliveries`."""
    deliveries = (
        EmailDelivery.objects.filter(message=message).select_related("registration").order_by("pk")
    )
    by_status = dict(
        deliveries.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {
        "deliveries": deliveries,
        "by_status": [
            (label, by_status.get(value, 0)) for value, label in EmailDelivery.Status.choices
        ],
        "queued": message.queued_count,
        "not_queued": max((message.recipient_count or 0) - message.queued_count, 0),
    }


# --- Writes --------------------------------------------------------------------------------------


def message_create(
    *,
    event: Event,
    recipients: str,
    subject: str,
    body: str,
    by: User | None,
    reply_to: str = "",
    translations: dict[str, str] | None = None,
) -> Message:
    """A draft message; nothing is sent until `message_send`. `translations`: the versions in
    other languages, by column (`subject_fr`, `body_fr`)."""
    message = Message(
        event=event,
        recipients=recipients,
        subject=subject,
        body=body,
        reply_to=reply_to,
        created_by=by,
        **_translations(translations),
    )
    message.full_clean()
    message.save()
    return message


def message_update(
    *,
    message: Message,
    event: Event,
    recipients: str,
    subject: str,
    body: str,
    reply_to: str = "",
    translations: dict[str, str] | None = None,
) -> Message:
    """Change a draft. Once sending has begun, the message is what its recipients got."""
    translations = _translations(translations)
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if not locked.is_draft:
            raise MessageAlreadySent
        locked.event = event
        locked.recipients, locked.subject, locked.body = recipients, subject, body
        locked.reply_to = reply_to
        for name, text in translations.items():
            setattr(locked, name, text)
        locked.full_clean()
        locked.save(
            update_fields=["event", "recipients", "subject", "body", "reply_to", *translations]
        )
    return locked


def _translations(translations: dict[str, str] | None) -> dict[str, str]:
    columns = set(translation_columns(Message))
    unknown = set(translations or {}) - columns
    if unknown:
        raise ValueError(f"Not translations of a message: {sorted(unknown)}")
    return {name: text or "" for name, text in (translations or {}).items()}


def message_send_test(*, message: Message, by: User, recipient_id: int | None = None):
    """Send the draft to the staff member alone, as the chosen recipient (else the first, else
    the staff member) will get it, with "[Test]" before the subject, through the outbox. The
    message stays a draft and its recipients get nothing."""
    if not message.is_draft:
        raise MessageAlreadySent
    recipients = message_recipients(event=message.event, recipients=message.recipients)
    sample = recipients.filter(pk=recipient_id).first() if recipient_id else None
    sample = sample or recipients.first() or Registration(event=message.event, user=by)
    sample.event = message.event
    email = message_render(message=message, registration=sample)
    email["subject"] = _("[Test] %(subject)s") % {"subject": email["subject"]}
    return delivery_queue(
        key=f"message-test:{message.pk}:{by.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
        to=by.email,
        **email,
    )


def message_send(*, message: Message, by: User, fingerprint: str | None = None) -> Message:
    """Send a draft to its recipients as they are now: fix the list, mark the message as sending
    and, after commit, start the batches that queue the emails.

    Only a draft moves to sending, in one conditional update, so a double click, a second tab or
    a retried request raises `MessageAlreadySent` and sends nothing. With `fingerprint` (the
    digest of the list staff confirmed), a list that has changed since raises `RecipientsChanged`
    and nothing is sent.
    """
    with transaction.atomic():
        locked = Message.objects.select_for_update().select_related("event").get(pk=message.pk)
        if not locked.is_draft:
            raise MessageAlreadySent
        ids = list(
            message_recipients(event=locked.event, recipients=locked.recipients).values_list(
                "pk", flat=True
            )
        )
        if not ids:
            raise NoRecipients
        if fingerprint is not None and fingerprint != recipients_fingerprint(ids):
            raise RecipientsChanged
        now = timezone.now()
        changed = Message.objects.filter(pk=locked.pk, status=Message.Status.DRAFT).update(
            status=Message.Status.SENDING,
            recipient_ids=ids,
            recipient_count=len(ids),
            queued_count=0,
            sent_by=by,
            sent_at=now,
        )
        if not changed:
            raise MessageAlreadySent
        transaction.on_commit(lambda: _enqueue_batch(locked.pk))
    locked.refresh_from_db()
    return locked


def message_queue_batch(*, message_id: int, batch_size: int | None = None) -> int:
    """Put the emails of the next recipients of a sending message in the outbox; start the next
    batch, or mark the message sent when none is left. Returns how many emails it queued.

    The message's row is locked while a batch runs and the batch starts where the last one
    stopped, so two runs at once (a retried task, `messages_resume`) split the work instead of
    doing it twice; and each email's unique key would refuse a second copy anyway.
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .select_related("event")
            .filter(pk=message_id, status=Message.Status.SENDING)
            .first()
        )
        if message is None:
            return 0
        start = message.queued_count
        batch_size = batch_size or BATCH_SIZE
        batch_ids = message.recipient_ids[start : start + batch_size]
        keys = {pk: _delivery_key(message, pk) for pk in batch_ids}
        already = set(
            EmailDelivery.objects.filter(key__in=keys.values()).values_list("key", flat=True)
        )
        # Someone who deleted their account since the message was sent is not written to.
        registrations = Registration.objects.filter(
            pk__in=batch_ids, user__is_active=True
        ).select_related("user")
        queued = 0
        for registration in registrations:
            if keys[registration.pk] in already:
                continue
            registration.event = message.event
            email = message_render(message=message, registration=registration)
            delivery_queue(
                key=keys[registration.pk],
                registration=registration,
                message=message,
                to=registration.user.email,
                **email,
            )
            queued += 1
        message.queued_count = start + len(batch_ids)
        fields = ["queued_count"]
        if message.queued_count >= len(message.recipient_ids):
            message.status = Message.Status.SENT
            fields.append("status")
        else:
            transaction.on_commit(lambda: _enqueue_batch(message.pk))
        message.save(update_fields=fields)
    return queued


def messages_resume() -> int:
    """Start the batches again of the messages still being queued (the task queue was down, or a
    worker died): run beside `send_pending_emails`. Returns how many messages it resumed."""
    sending = list(
        Message.objects.filter(status=Message.Status.SENDING).values_list("pk", flat=True)
    )
    for message_id in sending:
        message_queue_batch(message_id=message_id)
    return len(sending)


# --- The email ----------------------------------------------------------------------------------


def message_render(*, message: Message, registration: Registration) -> dict[str, str]:
    """The email of a message for one registrant: the subject and body as staff wrote them in
    the registrant's preferred language, else as first written (`Message.version`), the rest
    (greeting, event, links) in that language; text and HTML, the body's Markdown sanitised in
    the HTML."""
    language = _language(registration)
    with translation.override(language):
        context = _email_context(message, registration)
        email = {
            "subject": context["version"].subject,
            "body_text": render_to_string("emails/message.txt", context),
            "body_html": render_to_string("emails/message.html", context),
        }
    if message.reply_to:
        email["headers"] = {"Reply-To": message.reply_to}
    return email


def _language(registration: Registration) -> str:
    return registration.user.preferred_language or settings.LANGUAGE_CODE


def _email_context(message: Message, registration: Registration) -> dict:
    event = message.event
    return {
        "message": message,
        "version": message.version(translation.get_language()),
        "event": event,
        "user": registration.user,
        "event_url": _absolute(event.get_absolute_url()),
        "registrations_url": _absolute(reverse("events:my_registrations")),
    }


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _delivery_key(message: Message, registration_id: int) -> str:
    return f"message:{message.pk}:{registration_id}"


def _enqueue_batch(message_id: int) -> None:
    from events.tasks import queue_message_batch

    try:
        queue_message_batch.enqueue(message_id)
    except Exception:
        # The queue is down: the message stays "sending" and `messages_resume` carries on.
        logger.exception("Could not queue the next batch of message %s.", message_id)
