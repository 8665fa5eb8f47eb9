"""Writes on accounts: profile updates, the personal-data export and account deletion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_trail_erase_for_user
from accounts.exceptions import WrongPassword
from accounts.models import PersonalDataExport, User

PROFILE_FIELDS = (
    "full_name",
    "organisation",
    "organisation_type",
    "job_title",
    "country",
    "preferred_language",
    "time_zone",
)

# Other apps add the personal data they hold about a user to the export (e.g. registrations),
# registered from their AppConfig.ready(), since accounts must not import them.
_data_sections: dict[str, Callable[[User], Any]] = {}


def data_section_register(*, name: str, exporter: Callable[[User], Any]) -> None:
    _data_sections[name] = exporter


# Likewise, apps that hold personal data about a user erase it when the account is deleted.
_erasers: dict[str, Callable[[User], Any]] = {}


def personal_data_eraser_register(*, name: str, eraser: Callable[[User], Any]) -> None:
    _erasers[name] = eraser


def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Update the profile fields of a user; the WHO region follows the country. A new type of
    organisation is self-declared again: what staff verified (and a verified regulator's access)
    no longer holds."""
    old_type = user.organisation_type
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(user, field, data[field])
    if user.organisation_type != old_type:
        user.organisation_type_verified = False
        user.is_verified_regulator = False
    user.full_clean(exclude=["password"])
    user.save()
    return user


def user_privacy_accept(*, user: User) -> None:
    user.privacy_accepted_at = timezone.now()
    user.save(update_fields=["privacy_accepted_at"])


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything the portal holds about a person, as JSON-ready data (right of access)."""
    data: dict[str, Any] = {
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "organisation": user.organisation,
            "organisation_type": user.organisation_type,
            "job_title": user.job_title,
            "country": user.country.code or "",
            "who_region": user.who_region,
            "preferred_language": user.preferred_language,
            "time_zone": user.time_zone,
            "privacy_accepted_at": _isoformat(user.privacy_accepted_at),
            "organisation_type_verified": user.organisation_type_is_verified,
            "is_verified_regulator": user.is_verified_regulator,
            "date_joined": _isoformat(user.date_joined),
            "last_login": _isoformat(user.last_login),
        },
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ],
    }
    for name, exporter in _data_sections.items():
        data[name] = exporter(user)
    data["exported_at"] = _isoformat(timezone.now())
    return data


def user_data_download(*, user: User) -> dict[str, Any]:
    """A person's download of their own data: the export, recorded in the export log."""
    data = user_data_export(user=user)
    records = 1 + sum(len(value) for value in data.values() if isinstance(value, list))
    personal_data_export_record(
        actor=user,
        kind=PersonalDataExport.Kind.OWN_DATA,
        description=_("Their own data (user #%(id)s)") % {"id": user.pk},
        row_count=records,
        parameters={"user": user.pk, "sections": sorted(data)},
    )
    return data


@transaction.atomic
def user_delete_account(*, user: User, password: str) -> None:
    """Delete an account on its owner's request.

    Personal data (name, email, organisation, job title, email addresses) is removed at once and
    every session ends. The row stays, with only the country, WHO region and organisation type,
    so that anonymous counts of past registrations and attendance remain right.
    """
    if not user.check_password(password):
        raise WrongPassword(_("The password is not correct. Your account was not deleted."))
    user_anonymise(user=user)


@transaction.atomic
def user_anonymise(*, user: User) -> None:
    EmailAddress.objects.filter(user=user).delete()
    user.email = f"deleted-{user.pk}@invalid.invalid"
    user.full_name = ""
    user.organisation = ""
    user.job_title = ""
    user.privacy_accepted_at = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.is_verified_regulator = False
    user.organisation_type_verified = False
    user.anonymised_at = timezone.now()
    # A new (unusable) password also ends every other session of the user: Django checks the
    # password hash stored in each session.
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    for eraser in _erasers.values():
        eraser(user)
    audit_trail_erase_for_user(user=user)


def personal_data_export_record(
    *,
    actor: User | None,
    kind: str,
    description: str,
    row_count: int,
    parameters: dict[str, Any] | None = None,
) -> PersonalDataExport:
    """Record that personal data left the portal: who took it, when, what and how many records.

    Every export of personal data calls this as it builds the file (the registrants CSV, a
    person's own data download), so no such export goes unrecorded.
    """
    return PersonalDataExport.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        description=description[:300],
        parameters=parameters or {},
        row_count=row_count,
    )


def _isoformat(value) -> str | None:
    return value.isoformat() if value else None


def verification_email_resend(*, request, email: str) -> bool:
    """Send the sign-up's verification email again: a new link to an address that waits for
    its confirmation, or the "this account already exists" note to a taken one, exactly as
    sign-up did, within allauth's rate limit. Returns False when the limit held it back."""
    from allauth.account.internal.flows.email_verification import (
        send_verification_email_to_address,
    )

    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=False, user__isnull=False)
        .select_related("user")
        .first()
    )
    if address is None:
        # Taken (or confirmed meanwhile): the same answer as for a new address.
        address = EmailAddress(user=None, email=email)
    return send_verification_email_to_address(request, address, signup=True)
