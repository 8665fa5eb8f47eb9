"""The knowledge repository and the shared taxonomy that events use too.

Topics are data (hierarchical, curated by staff). Product areas, audiences and languages are
fixed vocabularies whose labels are translated in code; they are rows only so that events and
resources can be filtered and counted by them in the database.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import OrganisationType


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


class ResourceQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Resource.Status.PUBLISHED)


class Resource(models.Model):
    """A document, tool or recording of the knowledge repository."""

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

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    summary = models.TextField(_("summary"), blank=True)
    reference_number = models.CharField(_("reference number"), max_length=100, blank=True)
    url = models.URLField(_("link"), blank=True, help_text=_("Where the resource can be read."))
    publication_year = models.PositiveSmallIntegerField(
        _("publication year"), null=True, blank=True
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-publication_year", "title"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.url or reverse("home")
