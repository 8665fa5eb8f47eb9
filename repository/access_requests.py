"""Requests for restricted files ("Request access", as DSpace's "request a copy").

A signed-in person who may not open a restricted file asks for it, saying why; the request
reaches staff in the admin with the person's profile; staff grant or refuse it in one click,
and the person gets an email with the outcome. A grant opens that file only, for
GRANT_DAYS: `Resource.can_open_files` reads the grants in force (repository.models), so the
download view, the resource page and search honour it through that one rule.

The outcome email goes through the outbox, which lives in the events app; repository is the
lower layer and may not import it, so events hands its mailer over when it starts
(events/apps.py), as it hands accounts its sections of the personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.exceptions import MessageError
from repository.models import AccessRequest, Resource, ResourceFile

# How long a grant opens its file.
GRANT_DAYS = 30
# Requests a person may have waiting at once: enough for real needs, not enough to flood staff.
MAX_PENDING = 10


class AccessRequestError(MessageError):
    default_message = _("The request could not be sent.")


class AlreadyOpen(AccessRequestError):
    default_message = _("You can already open this file.")


class AlreadyRequested(AccessRequestError):
    default_message = _(
        "You have already asked for this file. The LPA team will tell you its decision by email."
    )


class TooManyRequests(AccessRequestError):
    default_message = _(
        "You have 10 requests waiting for a decision. Please wait for the answers before "
        "asking for more files."
    )


class AlreadyDecided(AccessRequestError):
    default_message = _("This request has already been decided.")


_mailers: list[Callable[[AccessRequest], object]] = []


def access_request_mailer_register(mailer: Callable[[AccessRequest], object]) -> None:
    """Called by the events app at start-up with the function that puts the outcome email in
    its outbox (in the same transaction as the decision)."""
    if mailer not in _mailers:
        _mailers.append(mailer)


def access_request_create(*, user, file: ResourceFile, reason: str) -> AccessRequest:
    """Ask for a restricted file. Only for a signed-in person who may see the resource but not
    open that file, once at a time per file, and at most MAX_PENDING waiting at once."""
    resource = file.resource
    if not user.is_authenticated or not resource.is_visible_to(user):
        raise AccessRequestError()
    if resource.can_open_files(user, file=file):
        raise AlreadyOpen()
    reason = (reason or "").strip()
    if not reason:
        raise AccessRequestError(_("Say why you need this file."))
    if AccessRequest.objects.pending().filter(user=user, file=file).exists():
        raise AlreadyRequested()
    if AccessRequest.objects.pending().filter(user=user).count() >= MAX_PENDING:
        raise TooManyRequests()
    try:
        with transaction.atomic():
            return AccessRequest.objects.create(user=user, file=file, reason=reason[:1000])
    except IntegrityError as error:  # the same request sent twice at once
        raise AlreadyRequested() from error


def access_request_decide(
    *, access_request: AccessRequest, by, grant: bool, now: datetime | None = None
) -> AccessRequest:
    """Grant (for GRANT_DAYS, that file only) or refuse a waiting request, once, and queue the
    email that tells the person. A request decided already raises AlreadyDecided."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            AccessRequest.objects.select_for_update()
            .select_related("user", "file__resource")
            .get(pk=access_request.pk)
        )
        if locked.status != AccessRequest.Status.PENDING:
            raise AlreadyDecided()
        locked.status = AccessRequest.Status.GRANTED if grant else AccessRequest.Status.REFUSED
        locked.decided_at = now
        locked.decided_by = by
        locked.expires_at = now + timedelta(days=GRANT_DAYS) if grant else None
        locked.save(update_fields=["status", "decided_at", "decided_by", "expires_at"])
        for mailer in _mailers:
            mailer(locked)
    return locked


def access_requests_of_user(*, user, files) -> dict[int, AccessRequest]:
    """The person's latest request for each of these files (the resource page shows where
    each stands)."""
    latest: dict[int, AccessRequest] = {}
    if not user.is_authenticated:
        return latest
    for request in AccessRequest.objects.filter(user=user, file__in=list(files)).order_by(
        "created_at", "pk"
    ):
        latest[request.file_id] = request
    return latest


def pending_access_requests_by_resource() -> list[Resource]:
    """The resources with requests waiting for a decision, each with `pending_count`, most
    waiting first (the staff dashboard): one query."""
    return list(
        Resource.objects.filter(files__access_requests__status=AccessRequest.Status.PENDING)
        .annotate(pending_count=Count("files__access_requests"))
        .only("pk", "title")
        .order_by("-pending_count", "title")
    )


def restricted_file(*, slug: str, file_id: int, user) -> ResourceFile:
    """The file of a resource the visitor may see (ResourceFile.DoesNotExist otherwise)."""
    return ResourceFile.objects.select_related("resource").get(
        pk=file_id,
        resource__slug=slug,
        resource__in=Resource.objects.visible_to(user).values("pk"),
    )


def access_requests_export(user) -> list[dict]:
    """The person's requests, for their personal-data download."""
    return [
        {
            "resource": request.file.resource.title,
            "file": str(request.file),
            "reason": request.reason,
            "status": request.status,
            "asked_at": request.created_at.isoformat(),
            "decided_at": request.decided_at.isoformat() if request.decided_at else None,
            "access_until": request.expires_at.isoformat() if request.expires_at else None,
        }
        for request in AccessRequest.objects.filter(user=user).select_related("file__resource")
    ]


def access_requests_erase_for_user(user) -> int:
    deleted, _by_model = AccessRequest.objects.filter(user=user).delete()
    return deleted
