"""The audit trail (django-auditlog) on the accounts side: what it keeps of people.

Which models are tracked, and which of their fields, is in settings.AUDITLOG_INCLUDE_TRACKING_MODELS
(lpa_portal wires the apps together). Here: how personal values are hidden, and how the trail
forgets the people whose personal data is erased.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.cid import get_cid
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast, Concat

from accounts.models import User

# What the trail shows instead of a personal value (name, email, organisation, job title): that
# the field changed, by whom and when, is kept; the values are not.
HIDDEN = "•••"


def mask_personal_data(value: str) -> str:
    """auditlog's mask callable for personal fields: nothing of the value is kept."""
    return value if value in ("", "None") else HIDDEN


def audit_trail_relabel(
    *, model: type[models.Model], object_ids: Iterable[int] | models.QuerySet
) -> int:
    """The entries about these objects stop showing what the objects were called then (a
    registration is shown as the registrant's name): they read "registration #12" instead.
    What changed, by whom and when stays. `object_ids` may be a query (`values_list("pk")`), so
    that many objects take one statement. Returns how many entries were changed."""
    content_type = ContentType.objects.get_for_model(model)
    label = f"{model._meta.verbose_name} #"
    return LogEntry.objects.filter(content_type=content_type, object_id__in=object_ids).update(
        object_repr=Concat(models.Value(label), Cast("object_id", models.TextField()))
    )


def audit_trail_record_update(
    *,
    model: type[models.Model],
    object_ids: Iterable[int] | models.QuerySet,
    changes: dict[str, tuple[str, str]],
) -> int:
    """Record a change made with QuerySet.update(), which sends no signal and so escapes
    auditlog: one entry per object, by the actor of the request (none outside a request). The
    objects are named "registration #12", never by personal data. Returns how many entries were
    written."""
    content_type = ContentType.objects.get_for_model(model)
    label = f"{model._meta.verbose_name} #"
    entries = [
        LogEntry(
            content_type=content_type,
            object_pk=str(pk),
            object_id=pk,
            object_repr=f"{label}{pk}",
            action=LogEntry.Action.UPDATE,
            changes={name: list(values) for name, values in changes.items()},
            cid=get_cid(),
        )
        for pk in object_ids
    ]
    if not entries:
        return 0
    # The first is saved one by one, so that auditlog's middleware gives it the actor of the
    # request; the others, written together, take the same.
    first, *others = entries
    first.save()
    for entry in others:
        entry.actor, entry.actor_email = first.actor, first.actor_email
    LogEntry.objects.bulk_create(others, batch_size=500)
    return len(entries)


def audit_trail_erase_for_user(*, user: User) -> int:
    """When a person deletes their account, the entries about them lose the name or email they
    were listed under, and the entries they made as staff lose their email."""
    changed = audit_trail_relabel(model=User, object_ids=[user.pk])
    return changed + LogEntry.objects.filter(actor=user).exclude(actor_email=None).update(
        actor_email=None
    )
