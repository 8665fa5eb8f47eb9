"""Users of the portal: the email address is the login, and the profile lives on the user.

The profile fields sit on the user row itself (not a separate Profile table): every page and report
that needs a participant's country, region or organisation type reads one row, and a profile can
never be missing.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.regions import REGIONS, country_name, region_for_country


def language_choices():
    """The portal's languages, read when needed so that the LANGUAGES setting stays out of
    migrations."""
    return settings.LANGUAGES


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a time zone name such as Africa/Nairobi or Asia/Kathmandu."),
            params={"value": value},
        )


class OrganisationType(models.TextChoices):
    MANUFACTURER = "manufacturer", _("Manufacturer")
    REGULATOR = "regulator", _("National regulatory authority")
    GOVERNMENT = "government", _("Government or ministry")
    ACADEMIA = "academia", _("Academia")
    PARTNER = "partner", _("Development partner or NGO")
    OTHER = "other", _("Other")


class WHORegion(models.TextChoices):
    AFRO = REGIONS[0]
    AMRO = REGIONS[1]
    SEARO = REGIONS[2]
    EURO = REGIONS[3]
    EMRO = REGIONS[4]
    WPRO = REGIONS[5]


class UserManager(DjangoUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    organisation_type = models.CharField(
        _("organisation type"), max_length=20, choices=OrganisationType.choices, blank=True
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    country = CountryField(_("country"), blank=True)
    # Derived from the country on every save (accounts/data/who_member_states.csv); stored so that
    # reports can group by it in the database.
    who_region = models.CharField(
        _("WHO region"), max_length=5, choices=WHORegion.choices, blank=True, editable=False
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=language_choices, default="en"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "Event times are also shown in this time zone. Leave blank to use your browser's."
        ),
    )
    privacy_accepted_at = models.DateTimeField(
        _("privacy notice accepted at"), null=True, blank=True
    )
    is_verified_regulator = models.BooleanField(
        _("verified regulator"),
        default=False,
        help_text=_(
            "Set by staff after checking that the person works for a regulatory authority."
        ),
    )
    organisation_type_verified = models.BooleanField(
        _("organisation type verified"),
        default=False,
        help_text=_(
            "Set by staff after checking the person's type of organisation. Events only for some "
            "audiences confirm verified people; the others' registrations wait for approval. "
            "Cleared when the person changes their type of organisation."
        ),
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set when the person deletes their account: the row stays, without personal data, so that
    # anonymous counts (registrations, attendance) remain right.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["country"]),
            models.Index(fields=["who_region"]),
            models.Index(fields=["organisation_type"]),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        self.who_region = region_for_country(self.country.code if self.country else "")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "country" in update_fields:
            kwargs["update_fields"] = {*update_fields, "who_region"}
        super().save(*args, **kwargs)

    @property
    def country_name(self) -> str:
        """The country by its WHO name, in the active language."""
        return country_name(self.country.code if self.country else "")

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def organisation_type_is_verified(self) -> bool:
        """Whether staff checked the type of organisation (a verified regulator's included);
        otherwise it is only what the person declared."""
        return bool(self.organisation_type) and (
            self.organisation_type_verified
            or (self.is_verified_regulator and self.organisation_type == OrganisationType.REGULATOR)
        )

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None


class PersonalDataExport(models.Model):
    """One download of personal data: who took it, when, what it held and how many records.

    Written by accounts.services.personal_data_export_record, which every export of personal
    data calls (the registrants CSV, the person's own data download); read by superusers only.
    The rows are never changed or deleted from the admin.
    """

    class Kind(models.TextChoices):
        REGISTRATIONS_CSV = "registrations_csv", _("Registrants (CSV)")
        OWN_DATA = "own_data", _("A person's own data (JSON)")

    kind = models.CharField(_("export"), max_length=30, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.CharField(_("what"), max_length=300)
    # What selected the rows: the event, the admin filters, the number of rows picked.
    parameters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("records"))
    created_at = models.DateTimeField(_("exported at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("personal data export")
        verbose_name_plural = _("personal data exports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.created_at:%Y-%m-%d %H:%M}"


class FacetIndex(models.Model):
    """The bitsets from which a list counts its facets (accounts.facet_index), built for one
    version of the content; one row per list and visibility ("repository:public", "events")."""

    name = models.CharField(max_length=50, unique=True)
    version = models.BigIntegerField()
    # When something changes by the clock alone (an embargo ends, an event ends): the bitsets
    # are not used from then on.
    valid_until = models.DateTimeField(null=True)
    data = models.BinaryField()
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("facet index")
        verbose_name_plural = _("facet indexes")

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"
