"""The knowledge repository and the shared taxonomy that events use too.

Topics are data (hierarchical, curated by staff). Product areas, audiences and languages are
fixed vocabularies whose labels are translated in code; they are rows only so that events and
resources can be filtered and counted by them in the database.
"""

import uuid
from dataclasses import dataclass

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.content_languages import add_translations
from accounts.models import OrganisationType, WHORegion
from repository.storage import protected_storage


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("broader topic"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class ProductAreaCode(models.TextChoices):
    MEDICINES = "medicines", _("Medicines")
    VACCINES = "vaccines", _("Vaccines and biologicals")
    DIAGNOSTICS = "diagnostics", _("In vitro diagnostics")
    DEVICES = "devices", _("Medical devices")


class LanguageCode(models.TextChoices):
    """WHO's six official languages: the languages of trainings and documents."""

    ARABIC = "ar", _("Arabic")
    CHINESE = "zh", _("Chinese")
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")
    RUSSIAN = "ru", _("Russian")
    SPANISH = "es", _("Spanish")


class _Vocabulary(models.Model):
    """A fixed list whose rows carry a code; the label comes from the code's translated choice."""

    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return str(self.get_code_display())

    @property
    def name(self) -> str:
        return str(self.get_code_display())


class ProductArea(_Vocabulary):
    code = models.CharField(_("code"), max_length=20, choices=ProductAreaCode.choices, unique=True)

    class Meta(_Vocabulary.Meta):
        verbose_name = _("product area")
        verbose_name_plural = _("product areas")


class Audience(_Vocabulary):
    """An organisation type as an audience of an event or a resource."""

    code = models.CharField(_("code"), max_length=20, choices=OrganisationType.choices, unique=True)

    class Meta(_Vocabulary.Meta):
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")


class Language(_Vocabulary):
    code = models.CharField(_("code"), max_length=5, choices=LanguageCode.choices, unique=True)

    class Meta(_Vocabulary.Meta):
        verbose_name = _("language")
        verbose_name_plural = _("languages")


class Region(_Vocabulary):
    """A WHO region a resource is about."""

    code = models.CharField(_("code"), max_length=5, choices=WHORegion.choices, unique=True)

    class Meta(_Vocabulary.Meta):
        verbose_name = _("WHO region")
        verbose_name_plural = _("WHO regions")


class AccessLevel(models.IntegerChoices):
    """Who may open a resource's files. Ordered: a higher level includes the ones below."""

    PUBLIC = 0, _("Public")
    REGISTERED = 1, _("Registered users")
    REGULATORS = 2, _("Verified regulators and staff")


def access_level_of(user) -> int:
    """The highest access level a visitor holds."""
    if not user.is_authenticated:
        return AccessLevel.PUBLIC
    if user.is_staff or getattr(user, "is_verified_regulator", False):
        return AccessLevel.REGULATORS
    return AccessLevel.REGISTERED


@dataclass(frozen=True)
class AccessGrants:
    """The restricted files staff let a person open for a time ("Request access"), and the
    resources whose content that opens: those whose every file is granted."""

    files: frozenset[int] = frozenset()
    resources: frozenset[int] = frozenset()


NO_GRANTS = AccessGrants()


def access_grants_of(user, now=None) -> AccessGrants:
    """What `user` holds by grants now; read once per user object (a request's user) and kept
    on it. Anonymous visitors, staff and verified regulators need none."""
    if not user.is_authenticated or access_level_of(user) >= max(AccessLevel.values):
        return NO_GRANTS
    now_given = now
    grants = getattr(user, "_access_grants", None)
    if grants is not None and now is None:
        return grants
    now = now or timezone.now()
    rows = list(
        AccessRequest.objects.granted(now)
        .filter(user=user)
        .values_list("file_id", "file__resource_id")
    )
    files = frozenset(file_id for file_id, _resource in rows)
    resources: set[int] = set()
    if files:
        by_resource = ResourceFile.objects.filter(
            resource_id__in={resource for _file, resource in rows}
        ).values_list("resource_id", "pk")
        every: dict[int, set[int]] = {}
        for resource_id, file_id in by_resource:
            every.setdefault(resource_id, set()).add(file_id)
        resources = {resource for resource, ids in every.items() if ids <= files}
    grants = AccessGrants(files=files, resources=frozenset(resources))
    if now_given is None:
        user._access_grants = grants
    return grants


class ResourceQuerySet(models.QuerySet):
    # Who may see a resource's record (its title, its page, a link to it) is decided here and in
    # the two methods of Resource of the same names, and nowhere else: every list, page, email,
    # feed, alert and link calls them. Opening its files also needs the access level
    # (`Resource.can_open_files`).

    def published(self, now=None):
        """Published and past any embargo: what the public may find (`Resource.is_public`)."""
        now = now or timezone.now()
        return self.filter(status=Resource.Status.PUBLISHED).filter(
            models.Q(embargo_until__isnull=True) | models.Q(embargo_until__lte=now)
        )

    def visible_to(self, user, now=None):
        """Staff see every resource (drafts as previews); others the published ones
        (`Resource.is_visible_to`)."""
        return self.all() if user.is_staff else self.published(now)

    def made_public_since(self, since, now=None):
        """The resources that became public after `since`: published, or their embargo ended,
        whichever came later. Each gets `made_public`: when that was."""
        now = now or timezone.now()
        published = Coalesce("published_at", "created_at")
        made_public = Greatest(published, Coalesce("embargo_until", published))
        return (
            self.published(now)
            .annotate(made_public=made_public)
            .filter(made_public__gt=since, made_public__lte=now)
        )


class Resource(models.Model):
    """A document, tool or recording of the knowledge repository: one record, with a file per
    language edition or part."""

    class Kind(models.TextChoices):
        STRATEGY = "strategy", _("Model strategy")
        TOOL = "tool", _("Tool")
        QA_REPORT = "qa_report", _("Q&A report")
        GUIDANCE = "guidance", _("Guidance")
        TRAINING_MATERIAL = "training_material", _("Training material")
        RECORDING = "recording", _("Recording")
        REPORT = "report", _("Report")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class DatePrecision(models.TextChoices):
        YEAR = "year", _("Year")
        MONTH = "month", _("Month")
        DAY = "day", _("Day")

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, db_index=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    reference_number = models.CharField(
        _("reference number"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("E.g. “WHO TRS 1044, Annex 4” or “WHO/MHP/RPQ/LPA/2022.1”."),
    )
    isbn = models.CharField(_("ISBN"), max_length=20, blank=True, db_index=True)
    publisher = models.CharField(
        _("publisher"), max_length=200, blank=True, default="World Health Organization"
    )
    publication_date = models.DateField(_("publication date"), null=True, blank=True)
    date_precision = models.CharField(
        _("date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.YEAR,
        help_text=_("Only the year, the month or the full date is known."),
    )
    # Derived from the publication date on save, for the year facet.
    publication_year = models.PositiveSmallIntegerField(
        _("publication year"), null=True, blank=True, editable=False, db_index=True
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True)
    audiences = models.ManyToManyField(Audience, verbose_name=_("audiences"), blank=True)
    product_areas = models.ManyToManyField(ProductArea, verbose_name=_("product areas"), blank=True)
    regions = models.ManyToManyField(Region, verbose_name=_("WHO regions"), blank=True)
    licence = models.CharField(
        _("licence"), max_length=200, blank=True, help_text=_("E.g. CC BY-NC-SA 3.0 IGO.")
    )
    citation = models.TextField(_("suggested citation"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    access_level = models.PositiveSmallIntegerField(
        _("who may open the files"), choices=AccessLevel.choices, default=AccessLevel.PUBLIC
    )
    embargo_until = models.DateTimeField(
        _("embargo until"),
        null=True,
        blank=True,
        help_text=_("Hidden from the public until then, even when published."),
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="superseded_by",
    )
    featured = models.BooleanField(_("featured"), default=False)
    download_count = models.PositiveIntegerField(_("downloads"), default=0, editable=False)
    # Full-text search documents, kept current by repository.search (PostgreSQL only): one of the
    # metadata the public may always search, one with the text inside the files as well.
    search_metadata = SearchVectorField(null=True, editable=False)
    search_full = SearchVectorField(null=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-publication_date", "title"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.publication_year = self.publication_date.year if self.publication_date else None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "publication_date" in update_fields:
            kwargs["update_fields"] = {*update_fields, "publication_year"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("repository:detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.supersedes_id and self.supersedes_id == self.pk:
            raise ValidationError({"supersedes": _("A resource cannot supersede itself.")})

    # Below this, a count says more about how new a resource is than about its worth ("0
    # downloads"): the public sees it from here on; staff always see it.
    DOWNLOADS_SHOWN_FROM = 10

    @property
    def download_count_is_public(self) -> bool:
        return self.download_count >= self.DOWNLOADS_SHOWN_FROM

    @property
    def is_embargoed(self) -> bool:
        return bool(self.embargo_until and self.embargo_until > timezone.now())

    def is_public(self, now=None) -> bool:
        """Published and past any embargo (`ResourceQuerySet.published`)."""
        now = now or timezone.now()
        return self.status == self.Status.PUBLISHED and not (
            self.embargo_until and self.embargo_until > now
        )

    def is_visible_to(self, user, now=None) -> bool:
        """Whether `user` may see this record (`ResourceQuerySet.visible_to`)."""
        return bool(user.is_staff) or self.is_public(now)

    def can_open_files(self, user, file: "ResourceFile | None" = None) -> bool:
        """Whether `user` may open this resource's content: their access level reaches the
        resource's, or staff granted them access ("Request access", for a time). With `file`,
        that one file; without, the whole content (every file, the Q&A items, the text inside
        the files that search reads), which grants open only when they cover every file.

        The one rule for the download view, the resource page, search and alerts
        (`content_open_condition` is its form for a query)."""
        if access_level_of(user) >= self.access_level:
            return True
        grants = access_grants_of(user)
        if file is not None:
            return file.resource_id == self.pk and file.pk in grants.files
        return self.pk in grants.resources

    @property
    def publication_date_display(self) -> str:
        if not self.publication_date:
            return ""
        formats = {"year": "Y", "month": "YEAR_MONTH_FORMAT", "day": "DATE_FORMAT"}
        from django.utils.formats import date_format

        return date_format(self.publication_date, formats[self.date_precision])


def content_open_condition(user, level_expression=None) -> models.Q:
    """`Resource.can_open_files(user)` (the whole content) as a condition of a query on
    resources. `level_expression` is the visitor's level as the query should compare it (the
    search casts it to the column's type for its indexes)."""
    level = access_level_of(user)
    condition = models.Q(access_level__lte=level if level_expression is None else level_expression)
    granted = access_grants_of(user).resources
    if granted:
        condition |= models.Q(pk__in=sorted(granted))
    return condition


def resource_file_path(instance: "ResourceFile", filename: str) -> str:
    """Stored names never come from the uploader: a random folder and a slugified name."""
    stem, _dot, extension = filename.rpartition(".")
    safe = slugify(stem)[:80] or "file"
    extension = slugify(extension)[:8]
    return (
        f"resources/{uuid.uuid4().hex}/{safe}.{extension}"
        if extension
        else f"resources/{uuid.uuid4().hex}/{safe}"
    )


class ResourceFile(models.Model):
    """One language edition or part of a resource: an uploaded file or a link elsewhere."""

    class Extraction(models.TextChoices):
        PENDING = "pending", _("Waiting for text extraction")
        DONE = "done", _("Text extracted")
        NO_TEXT = "no_text", _("No text found (scanned?) — check it")
        FAILED = "failed", _("Extraction failed")
        NOT_APPLICABLE = "n/a", _("Not a PDF")

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="files"
    )
    language = models.CharField(_("language"), max_length=5, choices=LanguageCode.choices)
    title = models.CharField(
        _("title"), max_length=300, blank=True, help_text=_("When it differs from the resource's.")
    )
    file = models.FileField(
        _("file"),
        upload_to=resource_file_path,
        storage=protected_storage,
        blank=True,
        max_length=300,
    )
    external_url = models.URLField(_("external link"), blank=True)
    mime_type = models.CharField(_("file type"), max_length=100, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True, editable=False)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    extracted_text = models.TextField(_("extracted text"), blank=True, editable=False)
    extraction_status = models.CharField(
        _("text extraction"),
        max_length=10,
        choices=Extraction.choices,
        default=Extraction.NOT_APPLICABLE,
        db_index=True,
        editable=False,
    )
    thumbnail = models.ImageField(
        _("thumbnail"),
        upload_to="resources/thumbnails/",
        storage=protected_storage,
        blank=True,
        editable=False,
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["order", "language", "pk"]
        verbose_name = _("file")
        verbose_name_plural = _("files")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(file="") | ~models.Q(external_url=""),
                name="resource_file_has_file_or_link",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.resource} ({self.language})"

    def clean(self):
        if bool(self.file) == bool(self.external_url):
            raise ValidationError(_("Give either a file or an external link, not both."))


class QAItem(models.Model):
    """One question and its answer in a Q&A report; linkable as /resources/<slug>/#q-<number>."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="qa_items"
    )
    number = models.PositiveIntegerField(_("number"))
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"), help_text=_("Markdown."))
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("question and answer")
        verbose_name_plural = _("questions and answers")
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="qa_number_unique")
        ]

    def __str__(self) -> str:
        return f"Q{self.number}: {self.question[:60]}"

    def get_absolute_url(self) -> str:
        return f"{self.resource.get_absolute_url()}#q-{self.number}"


class DownloadEvent(models.Model):
    """A counted download. No IP address: a salted hash of the visitor, kept to drop repeats."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="downloads")
    file = models.ForeignKey(
        ResourceFile, null=True, on_delete=models.SET_NULL, related_name="downloads"
    )
    visitor_hash = models.CharField(max_length=64, db_index=True)
    # For signed-in people, what reports group by (a snapshot, not a link to the person).
    who_region = models.CharField(max_length=5, blank=True)
    organisation_type = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        indexes = [models.Index(fields=["visitor_hash", "file", "created_at"])]

    def __str__(self) -> str:
        return f"{self.resource_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class SynonymGroup(models.Model):
    """Words and phrases that mean the same to people searching the repository, such as an
    acronym and its words ("OOS", "out of specification"): a search for one also finds the
    others, ranked a little below what has the very words searched for. Applied to each search
    as it is made, so a new group needs no rebuilding of anything."""

    language = models.CharField(
        _("language"), max_length=5, choices=LanguageCode.choices, default=LanguageCode.ENGLISH
    )
    terms = models.TextField(
        _("terms"),
        help_text=_(
            "One term per line, each an acronym, a word or a phrase, e.g. “OOS” and “out of "
            "specification”. Case and accents do not matter."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["language", "terms"]
        verbose_name = _("search synonyms")
        verbose_name_plural = _("search synonyms")

    def __str__(self) -> str:
        return " = ".join(self.term_list())

    def term_list(self) -> list[str]:
        return [term.strip() for term in self.terms.splitlines() if term.strip()]

    def clean(self):
        if len(self.term_list()) < 2:
            raise ValidationError(
                {"terms": _("Give at least two terms, one per line, that mean the same.")}
            )


class SearchWord(models.Model):
    """A word of the titles and summaries of public resources, with how many use it: what a
    search that finds nothing suggests instead of a misspelt word (repository.search,
    PostgreSQL only; a trigram index on `word`, migration 0009)."""

    word = models.CharField(max_length=100, primary_key=True)
    documents = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self) -> str:
        return self.word


class SearchQuery(models.Model):
    """A search made on the repository, without anything about who made it."""

    query = models.CharField(max_length=200, db_index=True)
    results = models.PositiveIntegerField()
    filters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("search query")
        verbose_name_plural = _("search queries")

    def __str__(self) -> str:
        return self.query


class AccessRequestQuerySet(models.QuerySet):
    def granted(self, now=None):
        """Grants in force: granted, and not expired."""
        return self.filter(
            status=AccessRequest.Status.GRANTED, expires_at__gt=now or timezone.now()
        )

    def pending(self):
        return self.filter(status=AccessRequest.Status.PENDING)


class AccessRequest(models.Model):
    """A signed-in person asks for a restricted file they may not open (as DSpace's "request a
    copy"); staff grant it, for that file only and for a time, or refuse it. The person is
    told by email either way."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="access_requests",
    )
    file = models.ForeignKey(
        ResourceFile,
        verbose_name=_("file"),
        on_delete=models.CASCADE,
        related_name="access_requests",
    )
    reason = models.TextField(_("why the person needs it"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("access until"), null=True, blank=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("request for a restricted file")
        verbose_name_plural = _("requests for restricted files")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "file"],
                condition=models.Q(status="pending"),
                name="one_pending_access_request_per_user_and_file",
            )
        ]
        indexes = [models.Index(fields=["user", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.file} ← {self.user_id}"

    @property
    def resource(self) -> Resource:
        return self.file.resource


# --- Translations -------------------------------------------------------------------------------
# A column per language beside each source text (accounts/content_languages.py).

add_translations(Topic, "name", "description")
add_translations(Resource, "title", "summary")
add_translations(QAItem, "question", "answer")
