"""Programmes and their events (editions), with the agenda of sessions and the speakers."""

from __future__ import annotations

import math
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.content_languages import (
    SOURCE_LANGUAGE,
    TRANSLATION_LANGUAGES,
    Text,
    add_translations,
    column,
    translated,
)
from accounts.models import WHORegion, validate_time_zone
from events.images import validate_image
from repository.models import Audience, Language, ProductArea, Region, Resource, Topic

IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    image = models.ImageField(
        _("image"),
        upload_to="programmes/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_image],
    )
    image_alt = models.CharField(_("image description (alt text)"), max_length=250, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_flagship = models.BooleanField(
        _("flagship"),
        default=False,
        help_text=_(
            "The home page shows the current or next edition of a flagship programme, whatever "
            "other events come sooner."
        ),
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("events:programme", kwargs={"slug": self.slug})

    def clean(self):
        if self.image and not self.image_alt.strip():
            raise ValidationError(
                {"image_alt": _("Describe the image for people who cannot see it.")}
            )


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    url = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner or funder")
        verbose_name_plural = _("partners and funders")

    def __str__(self) -> str:
        return self.name


class Speaker(models.Model):
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title or role"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    photo = models.ImageField(
        _("photo"),
        upload_to="speakers/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_image],
    )
    bio = models.TextField(_("biography"), blank=True, help_text=_("Markdown."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name


class RegistrationStatus:
    """What an event's registration says to everyone at a moment (`Event.registration_status`).

    One rule for the cards of the lists, the event and programme pages and the emails; the
    registration box adds what concerns the visitor (registered, on the waiting list…).
    """

    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    ENDED = "ended"
    NO_REGISTRATION = "no_registration"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    EXTERNAL = "external"
    INVITATION = "invitation"
    APPROVAL = "approval"
    FULL = "full"
    FEW_LEFT = "few_left"
    OPEN = "open"

    # Open to new registrations on this portal now (the waiting list of a full event included).
    TAKING = (INVITATION, APPROVAL, FULL, FEW_LEFT, OPEN)


# "Few places left": at most this share of the capacity, and at least this many places.
FEW_PLACES_SHARE = 0.1
FEW_PLACES_AT_LEAST = 3


class EventQuerySet(models.QuerySet):
    def published(self):
        """Events the public may see: published, and cancelled or postponed ones too (their page
        says so), but never drafts."""
        return self.exclude(status=Event.Status.DRAFT)

    def upcoming(self, now: datetime | None = None):
        return self.filter(end__gte=now or timezone.now())

    def past(self, now: datetime | None = None):
        return self.filter(end__lt=now or timezone.now())

    def registration_open(self, now: datetime | None = None):
        """The SQL of `Event.registration_is_open`: the two are one rule, kept side by side."""
        now = now or timezone.now()
        return self.filter(
            Q(registration_opens__isnull=True) | Q(registration_opens__lte=now),
            # Without an explicit closing time, registration closes when the event starts.
            Q(registration_closes__isnull=True, start__gt=now) | Q(registration_closes__gt=now),
            status=Event.Status.PUBLISHED,
            end__gt=now,
        ).exclude(registration_mode=Event.RegistrationMode.CLOSED)

    def open_for_registration(self, now: datetime | None = None):
        """Events anyone may register for now, here or on the organiser's website (not by
        invitation): the list's "open for registration" filter."""
        return self.registration_open(now).filter(registration_mode__in=Event.SELF_SERVICE_MODES)

    def for_cards(self):
        """What an event's card shows (lists, the home page, programme pages, searches): the
        event with its programme and confirmed seats; the long texts (the descriptions and
        their translations) stay in the database."""
        from accounts.content_languages import translation_columns

        long_texts = ["description", *translation_columns(Event, "description")]
        return (
            self.select_related("programme")
            .defer(*long_texts, *(f"programme__{field}" for field in long_texts))
            .with_seats_taken()
        )

    def with_seats_taken(self):
        """Each event with `seats_taken_count` (its confirmed registrations), read by
        `Event.seats_taken()` instead of a query per event."""
        # A subquery, not a join and GROUP BY: PostgreSQL counts the registrations of the
        # events a page shows (after its ORDER BY and LIMIT), not of every event that matches,
        # and a count of the list needs no join at all.
        confirmed = (
            Registration.objects.filter(event=models.OuterRef("pk"), status="confirmed")
            .order_by()
            .values("event")
            .annotate(count=models.Count("pk"))
            .values("count")
        )
        return self.annotate(
            seats_taken_count=Coalesce(
                models.Subquery(confirmed, output_field=models.IntegerField()), 0
            )
        )


class Event(models.Model):
    """One edition or instance of a programme: a Marathon year, a workshop, a training."""

    class Format(models.TextChoices):
        ONLINE = "online", _("Online")
        IN_PERSON = "in_person", _("In person")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")
        POSTPONED = "postponed", _("Postponed")

    class RegistrationMode(models.TextChoices):
        OPEN = "open", _("Open to all")
        APPROVAL = "approval", _("Approval required")
        INVITATION = "invitation", _("Invitation only")
        CLOSED = "closed", _("No registration")
        EXTERNAL = "external", _("On another website")

    GLOBAL = "GLOBAL"
    REGION_CHOICES = [(GLOBAL, _("Global")), *WHORegion.choices]
    SELF_SERVICE_MODES = (
        RegistrationMode.OPEN,
        RegistrationMode.APPROVAL,
        RegistrationMode.EXTERNAL,
    )

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="events"
    )
    title = models.CharField(_("title"), max_length=250)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    edition_year = models.PositiveSmallIntegerField(_("edition year"), db_index=True)
    summary = models.CharField(_("summary"), max_length=400)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    format = models.CharField(_("format"), max_length=20, choices=Format.choices)
    region = models.CharField(_("WHO region"), max_length=6, choices=REGION_CHOICES, default=GLOBAL)
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    venue = models.CharField(_("venue"), max_length=250, blank=True)
    venue_address = models.TextField(_("venue address and directions"), blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA name of the event's local time zone, e.g. Asia/Kathmandu."),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    registration_opens = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes = models.DateTimeField(_("registration closes"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave blank for no limit.")
    )
    registration_mode = models.CharField(
        _("registration"),
        max_length=20,
        choices=RegistrationMode.choices,
        default=RegistrationMode.OPEN,
    )
    external_registration_url = models.URLField(_("external registration link"), blank=True)
    audience_restricted = models.BooleanField(
        _("only for the audiences listed"),
        default=False,
        help_text=_("Only people whose type of organisation is among the audiences may register."),
    )
    audiences = models.ManyToManyField(Audience, verbose_name=_("audiences"), blank=True)
    product_areas = models.ManyToManyField(ProductArea, verbose_name=_("product areas"), blank=True)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True)
    languages = models.ManyToManyField(Language, verbose_name=_("languages"), blank=True)
    partners = models.ManyToManyField(Partner, verbose_name=_("partners and funders"), blank=True)
    banner = models.ImageField(
        _("banner image"),
        upload_to="events/banners/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_image],
    )
    banner_alt = models.CharField(_("banner description (alt text)"), max_length=250, blank=True)
    # {"480": "events/banners/…-480.webp", …}: resized copies made when the banner changes.
    banner_renditions = models.JSONField(default=dict, blank=True, editable=False)
    banner_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    banner_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    sessions_required = models.PositiveSmallIntegerField(
        _("sessions needed for attendance"),
        default=1,
        help_text=_("How many sessions a registrant must attend to count as having attended."),
    )
    cancellation_deadline = models.DateTimeField(
        _("cancellation deadline"),
        null=True,
        blank=True,
        help_text=_("Registrants may cancel until then; blank: until the event starts."),
    )
    meeting_url = models.URLField(
        _("online meeting link"),
        blank=True,
        help_text=_("Shown only to confirmed registrants."),
    )
    materials = models.ManyToManyField(
        Resource,
        verbose_name=_("materials"),
        blank=True,
        related_name="events",
        help_text=_("Repository resources of the whole event: slides, recordings, reports."),
    )
    participants_count = models.PositiveIntegerField(
        _("participants (published figure)"), null=True, blank=True
    )
    countries_count = models.PositiveIntegerField(
        _("countries (published figure)"), null=True, blank=True
    )
    outcome_note = models.CharField(
        _("outcome note"),
        max_length=300,
        blank=True,
        help_text=_("E.g. “about 1,550 participants on average from about 90 countries”."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="event_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["status", "end"]), models.Index(fields=["status", "start"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"slug": self.slug})

    # What `audience_fit` says of a person.
    AUDIENCE_IN = "in"
    AUDIENCE_UNVERIFIED = "unverified"
    AUDIENCE_OUT = "out"

    def audience_fit(self, user) -> str:
        """Whether `user` may take part in an event kept for some audiences: AUDIENCE_IN when it
        is not restricted or staff verified that their type of organisation is among its
        audiences; AUDIENCE_UNVERIFIED when only the person's own profile says so (they may ask,
        staff decide); AUDIENCE_OUT otherwise. Reads `audiences` (prefetch it for lists)."""
        if not self.audience_restricted:
            return self.AUDIENCE_IN
        codes = {audience.code for audience in self.audiences.all()}
        if not codes:
            return self.AUDIENCE_IN
        if user.organisation_type not in codes:
            return self.AUDIENCE_OUT
        return self.AUDIENCE_IN if user.organisation_type_is_verified else self.AUDIENCE_UNVERIFIED

    def clean(self):
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("The end must not be before the start.")
        if (
            self.registration_opens
            and self.registration_closes
            and self.registration_closes <= self.registration_opens
        ):
            errors["registration_closes"] = _("Registration must close after it opens.")
        if (
            self.registration_mode == self.RegistrationMode.EXTERNAL
            and not self.external_registration_url
        ):
            errors["external_registration_url"] = _("Give the link to the other website.")
        if self.banner and not self.banner_alt.strip():
            errors["banner_alt"] = _("Describe the banner for people who cannot see it.")
        if (
            self.format != self.Format.ONLINE
            and self.status == self.Status.PUBLISHED
            and not self.city
        ):
            errors["city"] = _("An in-person or hybrid event needs a city.")
        if errors:
            raise ValidationError(errors)

    def few_places_threshold(self) -> int:
        return max(FEW_PLACES_AT_LEAST, math.ceil((self.capacity or 0) * FEW_PLACES_SHARE))

    def registration_status(self, now: datetime | None = None, *, seats: bool = True) -> str:
        """The state of the event's registration for everyone now (a `RegistrationStatus`),
        from the registration rules below (`registration_is_open` and the seats): what the
        cards, the event and programme pages and the emails say.

        The seats are counted only for an open event with a limit, and not at all with
        `seats=False` (OPEN then stands for FULL and FEW_LEFT too)."""
        now = now or timezone.now()
        mode = self.RegistrationMode
        if self.status == self.Status.CANCELLED:
            return RegistrationStatus.CANCELLED
        if self.status == self.Status.POSTPONED:
            return RegistrationStatus.POSTPONED
        if self.has_ended(now):
            return RegistrationStatus.ENDED
        if self.registration_mode == mode.CLOSED:
            return RegistrationStatus.NO_REGISTRATION
        if self.registration_not_open_yet(now):
            return RegistrationStatus.NOT_YET
        if not self.registration_is_open(now):
            return RegistrationStatus.CLOSED
        if self.registration_mode == mode.EXTERNAL:
            return RegistrationStatus.EXTERNAL
        if self.registration_mode == mode.INVITATION:
            return RegistrationStatus.INVITATION
        if self.registration_mode == mode.APPROVAL:
            return RegistrationStatus.APPROVAL
        left = self.seats_left() if seats else None
        if left is not None and left <= 0:
            return RegistrationStatus.FULL
        if left is not None and left <= self.few_places_threshold():
            return RegistrationStatus.FEW_LEFT
        return RegistrationStatus.OPEN

    def has_waiting_list(self) -> bool:
        """Whether people are waiting for a place."""
        return self.registrations.filter(status=Registration.Status.WAITLISTED).exists()

    @property
    def banner_image(self) -> dict | None:
        """The banner for an <img>: resized WebP copies as a srcset, the size, the alt text."""
        if not self.banner:
            return None
        renditions = sorted((int(width), name) for width, name in self.banner_renditions.items())
        src = default_storage.url(renditions[-1][1]) if renditions else self.banner.url
        return {
            "src": src,
            "srcset": ", ".join(
                f"{default_storage.url(name)} {width}w" for width, name in renditions
            ),
            "width": self.banner_width,
            "height": self.banner_height,
            "alt": self.banner_alt,
        }

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_past(self) -> bool:
        return self.has_ended()

    def has_ended(self, now: datetime | None = None) -> bool:
        """The event is over: certificates of attendance may be issued and are valid."""
        return self.end <= (now or timezone.now())

    # --- Registration rules: one place for the services, the pages, the admin and emails ---

    @property
    def registration_deadline(self) -> datetime:
        """When registration closes: the closing time set, else the start of the event."""
        return self.registration_closes or self.start

    def registration_is_open(self, now: datetime | None = None) -> bool:
        """Registration takes people now (on this portal, or on the organiser's website for an
        external one): published, not closed to registration, within the window, not over.
        `EventQuerySet.registration_open` is the same rule in SQL."""
        now = now or timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.registration_mode != self.RegistrationMode.CLOSED
            and (self.registration_opens is None or self.registration_opens <= now)
            and now < self.registration_deadline
            and now < self.end
        )

    def registration_not_open_yet(self, now: datetime | None = None) -> bool:
        return (
            self.registration_opens is not None
            and (now or timezone.now()) < self.registration_opens
        )

    @property
    def cancellation_closes(self) -> datetime:
        """Until when registrants may cancel themselves: the deadline set, else the start."""
        return self.cancellation_deadline or self.start

    def cancellation_is_open(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) < self.cancellation_closes

    def seats_taken(self) -> int:
        """Confirmed registrations: annotated by `with_seats_taken()`, else counted."""
        annotated = getattr(self, "seats_taken_count", None)
        if annotated is not None:
            return annotated
        return self.registrations.filter(status=Registration.Status.CONFIRMED).count()

    def seats_left(self) -> int | None:
        """Free seats, or None when the event has no limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken(), 0)

    def has_free_seat(self) -> bool:
        seats_left = self.seats_left()
        return seats_left is None or seats_left > 0

    def has_started(self, now: datetime | None = None) -> bool:
        return self.start <= (now or timezone.now())

    @property
    def is_online(self) -> bool:
        return self.format == self.Format.ONLINE

    @property
    def location(self) -> str:
        parts = [self.city, self.country.name if self.country else ""]
        return ", ".join(part for part in parts if part)


class SessionQuerySet(models.QuerySet):
    def started(self, now: datetime | None = None):
        """The SQL of `Session.has_started`."""
        return self.filter(start__lte=now or timezone.now())


class Session(models.Model):
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="sessions"
    )
    title = models.CharField(_("title"), max_length=250)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), null=True, blank=True, on_delete=models.SET_NULL
    )
    speakers = models.ManyToManyField(
        Speaker, verbose_name=_("speakers"), blank=True, related_name="sessions"
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    recording_url = models.URLField(_("recording link"), blank=True)
    resources = models.ManyToManyField(
        Resource,
        verbose_name=_("related resources"),
        blank=True,
        related_name="sessions",
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The end must not be before the start.")})

    def has_started(self, now: datetime | None = None) -> bool:
        """Attendance may be recorded only for a session that has started (marked by staff or
        imported): nobody can have been present at a session still to come."""
        return self.start <= (now or timezone.now())


# --- Registrations ------------------------------------------------------------------------------


class Question(models.Model):
    """A question staff add to an event's registration form."""

    class Kind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        YES_NO = "yes_no", _("Yes or no")

    CHOICE_KINDS = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE)

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="questions"
    )
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For choice questions: one choice per line.")
    )
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("registration question")
        verbose_name_plural = _("registration questions")

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return _lines(self.choices)

    def choice_options(self) -> list[tuple[str, str]]:
        """Each choice as stored in answers (the source text), with its label in the active
        language: the translation's line at the same place, when the translation has a line for
        every choice; else the source."""
        source = self.choice_list
        text = translated(self, "choices")
        labels = _lines(text.value)
        if text.fallback or len(labels) != len(source):
            labels = source
        return list(zip(source, labels, strict=True))

    def clean(self):
        if self.kind in self.CHOICE_KINDS and len(self.choice_list) < 2:
            raise ValidationError({"choices": _("Give at least two choices, one per line.")})
        # A translation of the choices is read line by line (`choice_options`).
        errors = {
            column("choices", language): _(
                "Translate each choice on its own line, in the same order as the choices."
            )
            for language in TRANSLATION_LANGUAGES
            if getattr(self, column("choices", language))
            and len(_lines(getattr(self, column("choices", language)))) != len(self.choice_list)
        }
        if errors:
            raise ValidationError(errors)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# No 0/O or 1/I: codes are read out and typed in by hand. Ten of these 32 characters make about
# 50 bits, too many to guess within the limit on wrong codes (events.services).
INVITATION_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
INVITATION_CODE_LENGTH = 10


def invitation_code_new() -> str:
    while True:
        code = "".join(
            secrets.choice(INVITATION_CODE_ALPHABET) for _position in range(INVITATION_CODE_LENGTH)
        )
        try:
            validate_invitation_code(code)
        except ValidationError:  # a rare draw that looks simple, e.g. with ABCD in it
            continue
        return code


def _has_run(text: str, length: int = 4) -> bool:
    """A character repeated, or letters or digits in order (ABCD, 4321), `length` times."""
    for start in range(len(text) - length + 1):
        steps = {ord(b) - ord(a) for a, b in pairwise(text[start : start + length])}
        if len(steps) == 1 and steps <= {-1, 0, 1}:
            return True
    return False


@cache
def _common_passwords() -> frozenset[str]:
    from django.contrib.auth.password_validation import CommonPasswordValidator

    return frozenset(word.upper() for word in CommonPasswordValidator().passwords)


def validate_invitation_code(value: str) -> None:
    """A code typed by staff must be as hard to guess as a made-up one: at least ten letters
    and digits (hyphens and spaces between them are ignored), six of them different, no run
    such as AAAA or 1234, no year, and not a common password."""
    characters = re.sub(r"[\s-]", "", value or "").upper()
    if len(characters) < INVITATION_CODE_LENGTH or not re.fullmatch(r"[A-Z0-9]+", characters):
        raise ValidationError(
            _(
                "An invitation code needs at least %(length)s letters and digits (hyphens may "
                "separate them), so that it cannot be guessed. Leave it blank to have one made up."
            ),
            code="invitation_code_short",
            params={"length": INVITATION_CODE_LENGTH},
        )
    if (
        len(set(characters)) < 6
        or _has_run(characters)
        or re.search(r"(19|20)\d\d", characters)
        or characters in _common_passwords()
    ):
        raise ValidationError(
            _(
                "This invitation code is too easy to guess (repeated or ordered characters, a "
                "year or a common word). Leave it blank to have one made up."
            ),
            code="invitation_code_simple",
        )


class Invitation(models.Model):
    """A code that lets people register for an invitation-only event."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="invitations"
    )
    code = models.CharField(
        _("code"), max_length=32, unique=True, validators=[validate_invitation_code]
    )
    email = models.EmailField(
        _("for email address"), blank=True, help_text=_("Leave blank for a code anyone may use.")
    )
    max_uses = models.PositiveIntegerField(_("uses allowed"), default=1)
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.code

    def clean(self):
        if not self.code or not self.event_id:
            return
        characters = re.sub(r"[\s-]", "", self.code).upper()
        words = re.findall(r"[a-z]{4,}", f"{self.event.title} {self.event.slug}".lower())
        if any(word.upper() in characters for word in words):
            raise ValidationError(
                {
                    "code": _(
                        "The invitation code must not contain words of the event's title. Leave "
                        "it blank to have one made up."
                    )
                }
            )


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")
        REJECTED = "rejected", _("Rejected")

    ACTIVE = (Status.PENDING, Status.CONFIRMED, Status.WAITLISTED)

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="registrations"
    )
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # A snapshot of the profile when registering: reports count people as they were then.
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    organisation_type = models.CharField(_("organisation type"), max_length=20, blank=True)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    country = CountryField(_("country"), blank=True)
    who_region = models.CharField(_("WHO region"), max_length=5, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    consent_at = models.DateTimeField(_("consent given at"))
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="registrations"
    )
    # First come, first served: the waiting list is ordered by this moment.
    waitlisted_at = models.DateTimeField(_("waitlisted at"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), default=False, db_index=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=["pending", "confirmed", "waitlisted"]),
                name="one_active_registration_per_user_and_event",
            )
        ]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["event", "status", "waitlisted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.full_name or self.user_id} – {self.event}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def participant_may_cancel(self, now: datetime | None = None) -> bool:
        """Whether the participant may cancel it themselves: active, not attended, while the
        event's cancellation is open (until its deadline, by default its start) and never once
        the event has started. Staff may cancel at any time."""
        now = now or timezone.now()
        event = self.event
        return (
            self.is_active
            and not self.attended
            and event.cancellation_is_open(now)
            and not event.has_started(now)
        )


class RegistrationStatusChange(models.Model):
    """The history of a registration: who changed its status, when and why."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    changed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.from_status or '–'} → {self.to_status}"


class Attendance(models.Model):
    """A registrant was present at a session."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("Marked by staff")
        CSV = "csv", _("Imported attendance report")

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="attendances"
    )
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ADMIN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session"], name="one_attendance_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.session_id}"


class CertificateQuerySet(models.QuerySet):
    def valid(self, now: datetime | None = None):
        """The SQL of `Certificate.is_valid`."""
        return self.filter(
            revoked_at__isnull=True, registration__event__end__lte=now or timezone.now()
        )


class Certificate(models.Model):
    """A certificate of attendance; its code lets anyone verify it."""

    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    # What the certificate states, fixed when it is issued.
    full_name = models.CharField(_("name"), max_length=200)
    event_title = models.CharField(_("event"), max_length=250)
    event_dates = models.CharField(_("dates"), max_length=100)
    sessions_attended = models.PositiveSmallIntegerField(_("sessions attended"))
    sessions_total = models.PositiveSmallIntegerField(_("sessions in the event"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code

    # Not `get_absolute_url`: the admin's "view on site" and anything else that looks for that
    # method must not lead to a page that names the holder.
    def verification_path(self) -> str:
        return reverse("events:certificate_verify", kwargs={"code": self.code})

    def is_valid(self, now: datetime | None = None) -> bool:
        """Not revoked, and its event has ended: a certificate of attendance is only given for
        an event that is over (`Event.has_ended`), whatever attendance was recorded before."""
        return self.revoked_at is None and self.registration.event.has_ended(now)


class Feedback(models.Model):
    """The short survey after an event; one answer per attended registration."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(
        _("overall rating"), choices=[(n, str(n)) for n in range(1, 6)]
    )
    most_useful_session = models.ForeignKey(
        Session,
        verbose_name=_("most useful session"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    topics_wanted = models.TextField(_("topics wanted next"), blank=True)
    comments = models.TextField(_("comments"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self) -> str:
        return f"{self.rating}/5"


@dataclass(frozen=True)
class MessageVersion(Text):
    subject: str = ""


class Message(models.Model):
    """A message staff write to the registrants of one event, chosen by status or attendance.

    A draft may be edited; sending freezes the recipients (their registrations) and the text, and
    background tasks queue one email per recipient in the outbox (EmailDelivery) in batches. The
    status only moves forward (draft → sending → sent), under a row lock, so a message is sent
    once however often the send button is clicked or a task retried.
    """

    class Recipients(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed registrants")
        ATTENDED = "attended", _("Registrants who attended")
        CONFIRMED_NOT_ATTENDED = "confirmed_absent", _("Confirmed registrants who did not attend")
        WAITLISTED = "waitlisted", _("Registrants on the waiting list")
        PENDING = "pending", _("Registrants waiting for approval")
        ACTIVE = "active", _("All active registrants (confirmed, waiting list, pending)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Being queued")
        SENT = "sent", _("Sent")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="messages"
    )
    recipients = models.CharField(
        _("send to"), max_length=20, choices=Recipients.choices, default=Recipients.CONFIRMED
    )
    subject = models.CharField(_("subject"), max_length=200)
    reply_to = models.EmailField(
        _("replies go to"),
        blank=True,
        help_text=_(
            "The address that receives the registrants' replies, e.g. yours or the team's. "
            "Blank: replies go to the portal's sending address."
        ),
    )
    body = models.TextField(
        _("message"),
        help_text=_("Markdown. Sent as written; the email adds a greeting and the event link."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # The registrations it goes to, fixed when it is sent.
    recipient_ids = models.JSONField(default=list, blank=True, editable=False)
    recipient_count = models.PositiveIntegerField(_("recipients"), null=True, editable=False)
    # How many of them have their email in the outbox: the batches resume from here.
    queued_count = models.PositiveIntegerField(_("emails queued"), default=0, editable=False)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message to registrants")
        verbose_name_plural = _("messages to registrants")
        permissions = [("send_message", _("Can write and send messages to registrants"))]

    def __str__(self) -> str:
        return self.subject

    def version(self, language: str) -> Text:
        """The message a recipient who reads `language` gets: the version staff wrote in it
        (its body, and its subject or else the source's), else the source; as the body, with
        the subject beside it (`version.subject`)."""
        body = translated(self, "body", language)
        subject = translated(self, "subject", language) if not body.fallback else self.subject
        return MessageVersion(str(body), body.language, body.fallback, subject=str(subject))

    def versions(self) -> list[Text]:
        """Every version written: the source, then each language that has a body."""
        return [self.version(SOURCE_LANGUAGE)] + [
            self.version(language)
            for language in TRANSLATION_LANGUAGES
            if getattr(self, column("body", language))
        ]

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class EmailDelivery(models.Model):
    """One email to one person, rendered when it is queued and sent by a background task.

    The unique key makes sending idempotent: a confirmation or a reminder is queued once, and a
    retried task never sends a delivery that is already sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (will be retried)")
        GAVE_UP = "gave_up", _("Given up")

    key = models.CharField(max_length=200, unique=True)
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    # Set for the emails of a message to registrants: its delivery report reads them.
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    ics = models.TextField(blank=True)
    ics_filename = models.CharField(max_length=120, blank=True)
    # Extra headers of the email, e.g. List-Unsubscribe on alerts.
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


# --- Alerts -------------------------------------------------------------------------------------


def alert_key_new() -> str:
    return secrets.token_hex(16)


class AlertSubscription(models.Model):
    """A signed-in person's request to hear of new events and/or new resources.

    Each list narrows the alerts (programme, topic, WHO region, product area); an empty list
    means any. The lists combine: an alert on AFRO and data integrity is for items that are both.
    """

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("One email for each new item")
        WEEKLY = "weekly", _("One email a week (digest)")

    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="alert_subscriptions",
    )
    new_events = models.BooleanField(_("new events"), default=True)
    new_resources = models.BooleanField(_("new resources"), default=True)
    programmes = models.ManyToManyField(
        Programme, verbose_name=_("programmes"), blank=True, related_name="+"
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="+")
    regions = models.ManyToManyField(
        Region, verbose_name=_("WHO regions"), blank=True, related_name="+"
    )
    product_areas = models.ManyToManyField(
        ProductArea, verbose_name=_("product areas"), blank=True, related_name="+"
    )
    frequency = models.CharField(
        _("how often"), max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    # What an email's unsubscribe link names (events.alerts.unsubscribe_token): random, so that
    # the link says nothing about the person, and gone with the subscription.
    key = models.CharField(max_length=32, unique=True, default=alert_key_new, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(new_events=True) | Q(new_resources=True),
                name="alert_subscription_events_or_resources",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.get_frequency_display()}"

    def clean(self):
        if not (self.new_events or self.new_resources):
            raise ValidationError(_("Choose new events, new resources or both."))


class AlertItem(models.Model):
    """A newly public event or resource that has been matched against the subscriptions.

    Each item is considered once (the row is unique per event and per resource), however often
    `send_alerts` runs, and even if the item is unpublished and published again.
    """

    event = models.OneToOneField(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    resource = models.OneToOneField(
        Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    made_public_at = models.DateTimeField()
    considered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("alerted item")
        verbose_name_plural = _("alerted items")
        constraints = [
            models.CheckConstraint(
                condition=Q(event__isnull=False, resource__isnull=True)
                | Q(event__isnull=True, resource__isnull=False),
                name="alert_item_event_or_resource",
            )
        ]

    def __str__(self) -> str:
        return f"event {self.event_id}" if self.event_id else f"resource {self.resource_id}"


class Alert(models.Model):
    """One item alerted to one person: at most once, ever (unique per person and item).

    Sent in an email of its own, or gathered into the weekly digest: `queued_at` stays empty
    until the digest that carries it is in the outbox.
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="alerts", verbose_name=_("user")
    )
    item = models.ForeignKey(AlertItem, on_delete=models.CASCADE, related_name="alerts")
    subscription = models.ForeignKey(
        AlertSubscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    frequency = models.CharField(max_length=10, choices=AlertSubscription.Frequency.choices)
    delivery = models.ForeignKey(
        "EmailDelivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="one_alert_per_user_and_item")
        ]
        indexes = [models.Index(fields=["frequency", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.item} → {self.user_id}"


class RegistrationOpeningNotice(models.Model):
    """A signed-in person asked to hear when registration opens for an event announced before
    it does. `send_alerts` sends the one email through the outbox once it has opened."""

    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="opening_notices",
    )
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="opening_notices",
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    # Set once the notice is dealt with: emailed, or dropped (the event was cancelled, or its
    # registration closed before a run could tell).
    done_at = models.DateTimeField(_("dealt with at"), null=True, blank=True)
    delivery = models.ForeignKey(
        EmailDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("registration opening notice")
        verbose_name_plural = _("registration opening notices")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"], name="one_opening_notice_per_user_and_event"
            )
        ]
        indexes = [models.Index(fields=["done_at", "event"])]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.user_id}"


# --- Translations -------------------------------------------------------------------------------
# A column per language beside each source text (accounts/content_languages.py).

add_translations(Programme, "name", "summary", "description")
add_translations(Event, "title", "summary", "description", "venue", "venue_address")
add_translations(Session, "title", "description")
add_translations(Question, "label", "help_text", "choices")
add_translations(Message, "subject", "body")
