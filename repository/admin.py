"""The admin of Content editors: topics and resources of the knowledge repository.

Files are accepted for what their content is (repository.uploads): a refused upload is an error
of its form and nothing is stored. Publication goes through the workflow of the services
(draft → in review → published → withdrawn); every save brings the resource's search document
up to date. Records can be imported in bulk from CSV; the search report shows what people look
for and do not find.

Product areas, audiences, languages and regions are fixed vocabularies whose labels live in
code; the admin lists them and lets staff change their order, never add or delete one.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Avg, Count, Max, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.cache import ContentAdminMixin
from accounts.content_languages import TranslationsAdminMixin, translation_columns
from repository.access_requests import AccessRequestError, access_request_decide
from repository.extraction import text_extraction_queue
from repository.models import (
    AccessRequest,
    Audience,
    DownloadEvent,
    Language,
    ProductArea,
    QAItem,
    Region,
    Resource,
    ResourceFile,
    SearchQuery,
    SynonymGroup,
    Topic,
)
from repository.services import (
    resource_file_upload_set,
    resource_publish,
    resource_status_change_check,
    resource_status_set,
    resources_import_csv,
    resources_stored_files_delete_on_commit,
    search_index_update_on_commit,
    stored_file_delete_on_commit,
)
from repository.uploads import (
    storage_available_check,
    stored_files_cleanup,
    validate_resource_upload,
)

# A link pasted without its scheme is taken as https (Django 6's default).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Topic)
class TopicAdmin(TranslationsAdminMixin, ContentAdminMixin, admin.ModelAdmin):
    list_display = ("name", "parent", "slug", "order", "resources")
    list_editable = ("order",)
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("parent",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "parent", "description", "order")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(resources_count=Count("resource"))

    @admin.display(description=_("resources"), ordering="resources_count")
    def resources(self, obj: Topic) -> int:
        return obj.resources_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        names = {"name", *translation_columns(Topic, "name")}
        if change and names & set(form.changed_data):
            # A topic's name, in every language, is part of its resources' search documents.
            search_index_update_on_commit(form.instance.resource_set.values_list("pk", flat=True))

    def delete_model(self, request, obj):
        resource_ids = list(obj.resource_set.values_list("pk", flat=True))
        super().delete_model(request, obj)
        search_index_update_on_commit(resource_ids)

    def delete_queryset(self, request, queryset):
        resource_ids = list(
            Resource.objects.filter(topics__in=queryset).values_list("pk", flat=True)
        )
        super().delete_queryset(request, queryset)
        search_index_update_on_commit(resource_ids)


# --- Files of a resource -----------------------------------------------------------------------


class _StoredFile:
    """What the file input shows of a stored file: its name, linked to the download view (a
    protected file has no URL of its own)."""

    def __init__(self, name: str, url: str):
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name


class ProtectedFileInput(forms.ClearableFileInput):
    download_url = ""

    def is_initial(self, value) -> bool:
        return bool(value and getattr(value, "name", None))

    def format_value(self, value):
        if self.is_initial(value):
            return _StoredFile(value.name, self.download_url)
        return None


class ResourceFileForm(forms.ModelForm):
    """A new upload is checked for what its content is before anything is stored."""

    external_url = ResourceFile._meta.get_field("external_url").formfield(assume_scheme="https")

    class Meta:
        model = ResourceFile
        fields = ("language", "title", "file", "external_url", "order")
        widgets = {"file": ProtectedFileInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_info = None
        self.stored_name = self.instance.file.name if self.instance.pk else ""
        if self.stored_name:
            self.fields["file"].widget.download_url = reverse(
                "repository:download",
                kwargs={"slug": self.instance.resource.slug, "file_id": self.instance.pk},
            )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            self.upload_info = validate_resource_upload(upload)
            storage_available_check()
        return upload

    def save(self, commit=True):
        resource_file = super().save(commit=False)
        if self.upload_info is not None:
            resource_file_upload_set(
                resource_file=resource_file,
                upload=self.cleaned_data["file"],
                info=self.upload_info,
            )
        elif not resource_file.file and self.stored_name:
            # The file was cleared for a link: nothing of it stays on the row.
            resource_file.mime_type = ""
            resource_file.size = None
            resource_file.page_count = None
            resource_file.sha256 = ""
            resource_file.extracted_text = ""
            resource_file.extraction_status = ResourceFile.Extraction.NOT_APPLICABLE
        if commit:
            resource_file.save()
            self._save_m2m()
            self.after_save(resource_file)
        return resource_file

    def after_save(self, resource_file: ResourceFile) -> None:
        if self.stored_name and self.stored_name != resource_file.file.name:
            stored_file_delete_on_commit(storage=resource_file.file.storage, name=self.stored_name)
        if self.upload_info is not None and self.upload_info.is_pdf:
            text_extraction_queue(files=[resource_file])


class ResourceFileFormSet(BaseInlineFormSet):
    def delete_existing(self, obj, commit=True):
        storage, name = obj.file.storage, obj.file.name
        super().delete_existing(obj, commit=commit)
        if commit:
            stored_file_delete_on_commit(storage=storage, name=name)


class ResourceFileInline(admin.TabularInline):
    model = ResourceFile
    form = ResourceFileForm
    formset = ResourceFileFormSet
    formfield_overrides = URL_FIELDS
    extra = 0
    fields = (
        "language",
        "title",
        "file",
        "external_url",
        "order",
        "mime_type",
        "file_size",
        "page_count",
        "extraction_status",
        "sha256",
    )
    readonly_fields = ("mime_type", "file_size", "page_count", "extraction_status", "sha256")

    def get_queryset(self, request):
        # Each row's label names its resource.
        return super().get_queryset(request).select_related("resource")

    @admin.display(description=_("size"))
    def file_size(self, obj: ResourceFile) -> str:
        return filesizeformat(obj.size) if obj.size is not None else "–"


class QAItemFormSet(BaseInlineFormSet):
    """The topics are read once for all the questions, not once per question."""

    @cached_property
    def topic_choices(self) -> list:
        return list(self.form.base_fields["topic"].choices)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        field = form.fields["topic"]
        field.choices = self.topic_choices
        # The admin wraps the select to add its "+" link; the inner widget renders the options.
        inner = getattr(field.widget, "widget", None)
        if inner is not None:
            inner.choices = self.topic_choices


class QAItemInline(TranslationsAdminMixin, admin.StackedInline):
    model = QAItem
    formset = QAItemFormSet
    extra = 0
    fields = (("number", "topic"), "question", "answer")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("resource")


# --- Resources ---------------------------------------------------------------------------------


class ResourceAdminForm(forms.ModelForm):
    class Meta:
        model = Resource
        # The admin builds the form with the fields of its fieldsets.
        fields = ("status",)

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk:
            # The instance still holds the stored status here.
            resource_status_change_check(resource=self.instance, status=status)
        return status


@admin.register(Resource)
class ResourceAdmin(TranslationsAdminMixin, ContentAdminMixin, admin.ModelAdmin):
    form = ResourceAdminForm
    formfield_overrides = URL_FIELDS
    inlines = (ResourceFileInline, QAItemInline)
    list_display = (
        "title",
        "kind",
        "status",
        "access_level",
        "publication_date",
        "download_count",
    )
    list_filter = (
        "kind",
        "status",
        ("topics", admin.RelatedOnlyFieldListFilter),
        "access_level",
        "featured",
        "files__extraction_status",
    )
    search_fields = ("title", "reference_number", "isbn")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("topics", "audiences", "product_areas", "regions")
    autocomplete_fields = ("supersedes",)
    readonly_fields = ("published_at", "download_count", "created_at", "updated_at")
    date_hierarchy = "publication_date"
    list_per_page = 50
    actions = ("publish", "send_to_review", "withdraw", "extract_text_again")
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "status", "featured")}),
        (
            _("Description"),
            {
                "fields": (
                    "summary",
                    "body",
                    "reference_number",
                    "isbn",
                    "publisher",
                    ("publication_date", "date_precision"),
                    "licence",
                    "citation",
                )
            },
        ),
        (
            _("Classification"),
            {"fields": ("topics", "audiences", "product_areas", "regions")},
        ),
        (_("Access"), {"fields": ("access_level", "embargo_until", "supersedes")}),
        (
            _("Record"),
            {
                "classes": ("collapse",),
                "fields": ("published_at", "download_count", "created_at", "updated_at"),
            },
        ),
    )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Uploads stored while saving are deleted again if the save fails before its commit.
        with stored_files_cleanup():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.status == Resource.Status.PUBLISHED and obj.published_at is None:
            resource_publish(resource=obj, by=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        search_index_update_on_commit([form.instance.pk])

    def delete_model(self, request, obj):
        with transaction.atomic():
            resources_stored_files_delete_on_commit(resource_ids=[obj.pk])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            resources_stored_files_delete_on_commit(
                resource_ids=list(queryset.values_list("pk", flat=True))
            )
            super().delete_queryset(request, queryset)

    # --- Workflow actions -------------------------------------------------------------------

    def _status_action(self, request, queryset, status: str) -> int:
        """Move each selected resource to `status`; report the refusals. Returns how many
        changed."""
        changed, refused = 0, []
        for resource in queryset.order_by("pk"):
            try:
                resource_status_set(resource=resource, status=status, by=request.user)
            except ValidationError as error:
                refused.append((resource.title, "; ".join(error.messages)))
            else:
                changed += 1
        if refused:
            self.message_user(
                request,
                format_html(
                    "{} {}",
                    gettext("Not changed:"),
                    format_html_join("; ", "{} ({})", refused),
                ),
                messages.ERROR,
            )
        return changed

    def _success(self, request, message: str, count: int) -> None:
        if count:
            self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Publish"))
    def publish(self, request, queryset):
        count = self._status_action(request, queryset, Resource.Status.PUBLISHED)
        message = ngettext("Published %(count)d resource.", "Published %(count)d resources.", count)
        self._success(request, message, count)

    @admin.action(permissions=["change"], description=_("Send to review"))
    def send_to_review(self, request, queryset):
        count = self._status_action(request, queryset, Resource.Status.IN_REVIEW)
        message = ngettext(
            "Sent %(count)d resource to review.", "Sent %(count)d resources to review.", count
        )
        self._success(request, message, count)

    @admin.action(permissions=["change"], description=_("Withdraw"))
    def withdraw(self, request, queryset):
        count = self._status_action(request, queryset, Resource.Status.WITHDRAWN)
        message = ngettext("Withdrew %(count)d resource.", "Withdrew %(count)d resources.", count)
        self._success(request, message, count)

    @admin.action(permissions=["change"], description=_("Extract text again"))
    def extract_text_again(self, request, queryset):
        files = ResourceFile.objects.filter(resource__in=queryset).exclude(file="")
        with transaction.atomic():
            queued = text_extraction_queue(files=list(files.only("pk", "file", "mime_type")))
        self.message_user(
            request,
            ngettext(
                "Text extraction queued for %(count)d PDF.",
                "Text extraction queued for %(count)d PDFs.",
                queued,
            )
            % {"count": queued},
            messages.SUCCESS if queued else messages.WARNING,
        )

    # --- CSV import -------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        # Before the default URLs: their "<path:object_id>/" would take this path too.
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv_view),
                name="{}_{}_import_csv".format(*info),
            ),
            *super().get_urls(),
        ]

    def import_csv_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = ResourceImportForm(request.POST, request.FILES)
            if form.is_valid():
                report = resources_import_csv(
                    file=form.cleaned_data["file"],
                    by=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
                if report.created:
                    self.message_user(
                        request,
                        ngettext(
                            "Imported %(count)d resource as a record without files.",
                            "Imported %(count)d resources as records without files.",
                            len(report.created),
                        )
                        % {"count": len(report.created)},
                        messages.SUCCESS,
                    )
        else:
            form = ResourceImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import resources from CSV"),
            "form": form,
            "report": report,
            "columns": RESOURCE_IMPORT_COLUMNS_HELP,
        }
        return TemplateResponse(request, "admin/repository/resource/import_csv.html", context)


RESOURCE_IMPORT_COLUMNS_HELP = (
    ("title", _("Required.")),
    ("slug", _("Optional: made from the title when empty.")),
    ("kind", _("Required: a code (e.g. guidance, tool, qa_report) or its English label.")),
    ("summary", ""),
    ("reference_number", _("E.g. WHO/MHP/RPQ/LPA/2022.1.")),
    ("isbn", ""),
    ("publisher", _("World Health Organization when empty.")),
    ("publication_date", _("YYYY, YYYY-MM or YYYY-MM-DD.")),
    ("topics", _("Topic slugs, separated by “;”.")),
    ("audiences", _("Codes: manufacturer, regulator, government, academia, partner, other.")),
    ("product_areas", _("Codes: medicines, vaccines, diagnostics, devices.")),
    ("regions", _("Codes: AFRO, AMRO, SEARO, EURO, EMRO, WPRO.")),
    ("access_level", _("public (when empty), registered or regulators.")),
    ("status", _("draft (when empty), in_review, published or withdrawn.")),
)


class ResourceImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, separated by commas or semicolons, with the column names on the first line."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file"),
        required=False,
        help_text=_("Lists the problems without creating anything."),
    )


# --- What people search for --------------------------------------------------------------------

REPORT_PERIODS = (7, 30, 90)
REPORT_ROWS = 50


def search_report(*, days: int, now=None, limit: int | None = REPORT_ROWS) -> dict:
    """Searches of the last `days` days, counted in the database: totals, the most frequent
    queries and the most frequent queries that found nothing."""
    now = now or timezone.now()
    searches = SearchQuery.objects.filter(created_at__gte=now - timedelta(days=days))
    totals = searches.aggregate(
        searches=Count("pk"),
        zero=Count("pk", filter=Q(results=0)),
        queries=Count("query", distinct=True),
    )
    by_query = (
        searches.values("query")
        .annotate(
            searches=Count("pk"),
            zero=Count("pk", filter=Q(results=0)),
            average_results=Avg("results"),
            last=Max("created_at"),
        )
        .order_by("-searches", "query")
    )
    zero = (
        searches.filter(results=0)
        .values("query")
        .annotate(searches=Count("pk"), last=Max("created_at"))
        .order_by("-searches", "query")
    )
    if limit:
        by_query, zero = by_query[:limit], zero[:limit]
    return {
        "days": days,
        "since": now - timedelta(days=days),
        "totals": totals,
        "zero_share": round(100 * totals["zero"] / totals["searches"]) if totals["searches"] else 0,
        "top": list(by_query),
        "zero_results": list(zero),
    }


def search_report_csv(report: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["query", "searches", "searches without results", "average results", "last"])
    for row in report["top"]:
        writer.writerow(
            [
                _csv_cell(row["query"]),
                row["searches"],
                row["zero"],
                f"{row['average_results']:.1f}",
                f"{timezone.localtime(row['last']):%Y-%m-%d %H:%M}",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: str) -> str:
    # Spreadsheets run cells that start like a formula; queries are typed by anyone.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ZeroResultsFilter(admin.SimpleListFilter):
    title = _("results")
    parameter_name = "found"

    def lookups(self, request, model_admin):
        return (("no", _("Nothing found")), ("yes", _("Something found")))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(results=0)
        if self.value() == "yes":
            return queryset.filter(results__gt=0)
        return queryset


@admin.register(SearchQuery)
class SearchQueryAdmin(ReadOnlyAdmin):
    list_display = ("query", "results", "created_at")
    list_filter = (ZeroResultsFilter,)
    search_fields = ("query",)
    date_hierarchy = "created_at"
    fields = ("query", "results", "filters", "created_at")
    readonly_fields = fields
    list_per_page = 100

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "search-report/",
                self.admin_site.admin_view(self.search_report_view),
                name="{}_{}_search_report".format(*info),
            ),
            *super().get_urls(),
        ]

    def search_report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            days = int(request.GET.get("days", 30))
        except ValueError:
            days = 30
        if days not in REPORT_PERIODS:
            days = 30
        if request.GET.get("format") == "csv":
            report = search_report(days=days, limit=None)
            response = HttpResponse(search_report_csv(report), content_type="text/csv")
            filename = f"searches-{days}-days-{timezone.localdate():%Y%m%d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("What people search for"),
            "report": search_report(days=days),
            "periods": REPORT_PERIODS,
            "csv_url": f"{reverse('admin:repository_searchquery_search_report')}"
            f"?days={days}&format=csv",
        }
        return TemplateResponse(request, "admin/repository/searchquery/search_report.html", context)


@admin.register(DownloadEvent)
class DownloadEventAdmin(ReadOnlyAdmin):
    """Counted downloads. The visitor hash is not shown: it identifies no one and helps no
    report."""

    list_display = ("created_at", "resource", "file_language", "who_region", "organisation_type")
    list_filter = ("who_region", "organisation_type")
    list_select_related = ("resource", "file")
    search_fields = ("resource__title",)
    date_hierarchy = "created_at"
    fields = ("resource", "file", "who_region", "organisation_type", "created_at")
    readonly_fields = fields
    list_per_page = 100

    @admin.display(description=_("language"), ordering="file__language")
    def file_language(self, obj: DownloadEvent) -> str:
        return obj.file.get_language_display() if obj.file else "–"


# --- Search synonyms ---------------------------------------------------------------------------


@admin.register(SynonymGroup)
class SynonymGroupAdmin(ContentAdminMixin, admin.ModelAdmin):
    """Terms that mean the same to people searching: a new group works at the next search
    (the content version it renews makes every process read the synonyms again)."""

    list_display = ("__str__", "language", "updated_at")
    list_filter = ("language",)
    search_fields = ("terms",)
    fields = ("language", "terms")


# --- Fixed vocabularies ------------------------------------------------------------------------


class VocabularyAdmin(ContentAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "order")
    list_editable = ("order",)
    fields = ("code", "order")
    readonly_fields = ("code",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(ProductArea, VocabularyAdmin)
admin.site.register(Audience, VocabularyAdmin)
admin.site.register(Language, VocabularyAdmin)
admin.site.register(Region, VocabularyAdmin)


# --- Requests for restricted files ---------------------------------------------------------------


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    """Requests for restricted files, with the person's profile: staff grant or refuse a
    waiting one in one click from the list (or several at once with the actions). The person
    is told by email; a grant opens that file only, for GRANT_DAYS days. Waiting requests:
    the list filtered on `status__exact=pending` (the staff dashboard links there)."""

    list_display = (
        "created_at",
        "person",
        "profile",
        "requested_file",
        "reason_excerpt",
        "status",
        "expires_at",
        "decision",
    )
    list_filter = ("status", ("file__resource", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = (
        "user__email",
        "user__full_name",
        "user__organisation",
        "file__resource__title",
        "file__resource__reference_number",
    )
    list_select_related = ("user", "file__resource", "decided_by")
    fields = (
        "person",
        "profile",
        "requested_file",
        "reason",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
        "expires_at",
    )
    readonly_fields = fields
    actions = ("grant_selected", "refuse_selected")
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("person"), ordering="user__full_name")
    def person(self, obj: AccessRequest) -> str:
        user = obj.user
        return format_html("{}<br>{}", user.full_name or "—", user.email)

    @admin.display(description=_("profile"))
    def profile(self, obj: AccessRequest) -> str:
        user = obj.user
        verified = (
            gettext("verified regulator")
            if user.is_verified_regulator
            else gettext("type verified")
            if user.organisation_type_is_verified
            else gettext("type self-declared")
        )
        return format_html(
            "{}<br>{} ({})<br>{}<br>{}",
            user.organisation or "—",
            user.get_organisation_type_display() or "—",
            verified,
            user.job_title or "—",
            user.country_name or "—",
        )

    @admin.display(description=_("file"), ordering="file__resource__title")
    def requested_file(self, obj: AccessRequest) -> str:
        resource = obj.file.resource
        return format_html(
            '<a href="{}">{}</a><br>{} · {}',
            reverse("admin:repository_resource_change", args=[resource.pk]),
            resource.title,
            obj.file.get_language_display(),
            resource.get_access_level_display(),
        )

    @admin.display(description=_("why"))
    def reason_excerpt(self, obj: AccessRequest) -> str:
        return obj.reason if len(obj.reason) <= 200 else obj.reason[:200] + "…"

    @admin.display(description=_("decision"))
    def decision(self, obj: AccessRequest) -> str:
        # Buttons of the list's own form (it carries the CSRF token): one click each.
        if obj.status != AccessRequest.Status.PENDING or not self._may_decide:
            return ""
        grant = reverse("admin:repository_accessrequest_grant", args=[obj.pk])
        refuse = reverse("admin:repository_accessrequest_refuse", args=[obj.pk])
        return format_html(
            '<button type="submit" class="button" formaction="{}" name="decide" value="grant">'
            "{}</button> "
            '<button type="submit" class="button" formaction="{}" name="decide" value="refuse">'
            "{}</button>",
            grant,
            gettext("Grant"),
            refuse,
            gettext("Refuse"),
        )

    def changelist_view(self, request, extra_context=None):
        self._may_decide = self.has_change_permission(request)
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/grant/",
                self.admin_site.admin_view(self._decide_view(grant=True)),
                name="repository_accessrequest_grant",
            ),
            path(
                "<int:pk>/refuse/",
                self.admin_site.admin_view(self._decide_view(grant=False)),
                name="repository_accessrequest_refuse",
            ),
            *super().get_urls(),
        ]

    def _decide_view(self, *, grant: bool):
        def view(request, pk):
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            if not self.has_change_permission(request):
                raise PermissionDenied
            access_request = get_object_or_404(AccessRequest, pk=pk)
            self._decide(request, [access_request], grant=grant)
            pending = reverse("admin:repository_accessrequest_changelist")
            return HttpResponseRedirect(f"{pending}?status__exact=pending")

        return view

    def _decide(self, request, access_requests, *, grant: bool) -> None:
        done = 0
        for access_request in access_requests:
            try:
                access_request_decide(access_request=access_request, by=request.user, grant=grant)
            except AccessRequestError as error:
                self.message_user(request, f"{access_request}: {error.message}", messages.WARNING)
            else:
                done += 1
        if done:
            text = (
                ngettext(
                    "%(count)d request granted; the person is told by email.",
                    "%(count)d requests granted; each person is told by email.",
                    done,
                )
                if grant
                else ngettext(
                    "%(count)d request refused; the person is told by email.",
                    "%(count)d requests refused; each person is told by email.",
                    done,
                )
            )
            self.message_user(request, text % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Grant the selected requests"), permissions=["change"])
    def grant_selected(self, request, queryset):
        self._decide(request, list(queryset.pending()), grant=True)

    @admin.action(description=_("Refuse the selected requests"), permissions=["change"])
    def refuse_selected(self, request, queryset):
        self._decide(request, list(queryset.pending()), grant=False)
