"""How long registrants' personal data is kept: answers and names go once an event is long over."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_trail_record_update, audit_trail_relabel
from events.models import Registration


def registrations_anonymise(
    *, older_than_days: int, now: datetime | None = None, dry_run: bool = False
) -> int:
    """Anonymise the registrations of events that ended more than `older_than_days` ago.

    The answers to the event's questions and the snapshot that identifies the person (full name,
    organisation, job title) are cleared; what reports count is kept (country, WHO region,
    organisation type, status, attended, and the attendance rows), so the figures of past events
    do not change. Registrations already anonymised are left alone, so running it again changes
    nothing. Certificates keep their own copy of the name: they state what the participant was
    given and must still verify.

    Returns how many registrations were anonymised, or with `dry_run` how many would be.
    """
    if older_than_days < 0:
        raise ValueError(_("The number of days must not be negative."))
    now = now or timezone.now()
    due = Registration.objects.filter(
        event__end__lt=now - timedelta(days=older_than_days), anonymised_at__isnull=True
    )
    if dry_run:
        return due.count()
    with transaction.atomic():
        ids = due.values_list("pk", flat=True)
        # The audit trail named each registration after its registrant: it stops doing so, and
        # records the anonymisation (an update() escapes auditlog's signals).
        audit_trail_relabel(model=Registration, object_ids=ids)
        audit_trail_record_update(
            model=Registration, object_ids=ids, changes={"anonymised_at": ("None", str(now))}
        )
        return due.update(
            answers={},
            full_name="",
            organisation="",
            job_title="",
            anonymised_at=now,
            updated_at=now,
        )


def registrations_erase_for_user(user) -> int:
    """When a person deletes their account: their registrations lose the name, organisation, job
    title and answers (country, region, organisation type, status and attendance stay, for the
    counts), and their certificates are revoked and no longer show their name."""
    from events.models import Certificate

    now = timezone.now()
    with transaction.atomic():
        registrations = Registration.objects.filter(user=user)
        ids = registrations.values_list("pk", flat=True)
        audit_trail_relabel(model=Registration, object_ids=ids)
        audit_trail_record_update(
            model=Registration,
            object_ids=ids.filter(anonymised_at__isnull=True),
            changes={"anonymised_at": ("None", str(now))},
        )
        erased = registrations.update(
            full_name="", organisation="", job_title="", answers={}, anonymised_at=now
        )
        Certificate.objects.filter(registration__user=user).update(full_name="—", revoked_at=now)
    return erased
