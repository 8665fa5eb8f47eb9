"""The admin of programmes, events with their agenda, speakers and partners.

Event times are typed and shown as the wall-clock time of the event's own time zone (a session
at 09:00 in Geneva is entered as 09:00, whatever the season), not in the server's UTC.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.cache import ContentAdminMixin
from accounts.content_languages import TranslationsAdminMixin
from events.admin.base import URL_FIELDS, csv_response, local, zone
from events.admin.forms import (
    AttendanceImportForm,
    EditionCopyForm,
    EventAdminForm,
    InvitationInlineForm,
    SessionInlineForm,
    SessionInlineFormSet,
)
from events.attendance import AttendanceImportError, attendance_import_csv
from events.exports import registrations_csv_export
from events.models import Event, Invitation, Partner, Programme, Question, Session, Speaker
from events.reports import registration_summary
from events.selectors import edition_copy_summary
from events.services import (
    event_copy_as_next_edition,
    event_publish,
    event_update,
)


class SessionInline(TranslationsAdminMixin, admin.StackedInline):
    """The agenda: one block per session (title; start and end side by side; topic and
    speakers), which fits a laptop's screen where a table row of six fields did not."""

    formfield_overrides = URL_FIELDS
    model = Session
    form = SessionInlineForm
    formset = SessionInlineFormSet
    fields = ("title", ("start", "end"), "topic", "speakers", "recording_url")
    autocomplete_fields = ("speakers",)
    ordering = ("start", "pk")
    extra = 1
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("speakers")


class QuestionInline(TranslationsAdminMixin, admin.StackedInline):
    model = Question
    fields = ("label", "help_text", ("kind", "required", "order"), "choices")
    ordering = ("order", "pk")
    extra = 0
    classes = ("collapse",)


class InvitationInline(admin.StackedInline):
    model = Invitation
    form = InvitationInlineForm
    fields = (("code", "email"), ("max_uses", "uses"), "expires_at")
    readonly_fields = ("uses",)
    extra = 0
    classes = ("collapse",)


@admin.register(Programme)
class ProgrammeAdmin(TranslationsAdminMixin, ContentAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "order", "editions")
    list_editable = ("order",)
    search_fields = ("name", "summary")
    prepopulated_fields = {"slug": ("name",)}
    view_on_site = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(editions_count=Count("events"))

    @admin.display(description=_("editions"), ordering="editions_count")
    def editions(self, obj: Programme) -> int:
        return obj.editions_count


@admin.register(Partner)
class PartnerAdmin(ContentAdminMixin, admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("name", "url")
    search_fields = ("name",)


@admin.register(Speaker)
class SpeakerAdmin(ContentAdminMixin, admin.ModelAdmin):
    list_display = ("name", "title", "organisation")
    search_fields = ("name", "organisation")


@admin.register(Event)
class EventAdmin(TranslationsAdminMixin, ContentAdminMixin, admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    form = EventAdminForm
    inlines = (SessionInline, QuestionInline, InvitationInline)
    # What staff look for in the list; the rest is in the filters and on the event's page.
    list_display = ("title", "programme", "local_start", "status", "preview")
    list_filter = ("programme", "status", "format", "region", "edition_year", "registration_mode")
    list_select_related = ("programme",)
    search_fields = ("title", "slug", "city", "summary")
    date_hierarchy = "start"
    ordering = ("-start",)
    list_per_page = 50
    show_full_result_count = False
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = (
        "audiences",
        "product_areas",
        "topics",
        "languages",
        "partners",
        "materials",
    )
    readonly_fields = ("preview", "published_at", "banner_size", "created_at", "updated_at")
    actions = ("copy_as_next_edition", "publish")
    fieldsets = (
        (
            _("What"),
            {
                "fields": (
                    "programme",
                    "title",
                    "slug",
                    "edition_year",
                    "summary",
                    "description",
                    "partners",
                    "status",
                    "published_at",
                    "preview",
                )
            },
        ),
        (
            _("When"),
            {
                "description": _(
                    "Choose the time zone first: the times are the wall-clock times of the "
                    "event's time zone, e.g. 09:00 for a morning start in Geneva."
                ),
                "fields": ("time_zone", "start", "end"),
            },
        ),
        (_("Where"), {"fields": ("format", "region", "country", "city", "venue", "venue_address")}),
        (
            _("Registration"),
            {
                "fields": (
                    "registration_mode",
                    "external_registration_url",
                    "capacity",
                    "registration_opens",
                    "registration_closes",
                    "cancellation_deadline",
                    "audience_restricted",
                    "sessions_required",
                )
            },
        ),
        (
            _("Audience and topics"),
            {"fields": ("audiences", "product_areas", "topics", "languages")},
        ),
        (_("Banner"), {"fields": ("banner", "banner_alt", "banner_size")}),
        (
            _("Outcome"),
            {
                "description": _("Filled in after the event."),
                "fields": ("participants_count", "countries_count", "outcome_note", "materials"),
            },
        ),
        (_("Online meeting"), {"fields": ("meeting_url",)}),
        (_("Record"), {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("start (local time)"), ordering="start")
    def local_start(self, obj: Event) -> str:
        return local(obj.start, zone(obj.time_zone))

    @admin.display(description=_("preview"))
    def preview(self, obj: Event) -> str:
        if not obj.pk:
            return "–"
        label = _("Preview") if obj.status == Event.Status.DRAFT else _("View on site")
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', obj.get_absolute_url(), label
        )

    @admin.display(description=_("banner size"))
    def banner_size(self, obj: Event) -> str:
        if not obj.banner_width:
            return "–"
        return _("%(width)s × %(height)s pixels, %(count)s resized copies") % {
            "width": obj.banner_width,
            "height": obj.banner_height,
            "count": len(obj.banner_renditions or {}),
        }

    def save_model(self, request, obj, form, change):
        promoted = event_update(
            event=obj,
            changed=form.changed_data,
            previous_capacity=form.initial.get("capacity"),
            created=not change,
            by=request.user,
        )
        if promoted:
            self.message_user(
                request,
                ngettext(
                    "%(count)d person was confirmed from the waiting list.",
                    "%(count)d people were confirmed from the waiting list.",
                    len(promoted),
                )
                % {"count": len(promoted)},
                messages.SUCCESS,
            )

    # --- Registration pages of one event ------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        # Before the default URLs: their "<path:object_id>/" would take these paths too.
        return [
            path(
                "<path:object_id>/summary/",
                self.admin_site.admin_view(self.summary_view),
                name="{}_{}_summary".format(*info),
            ),
            path(
                "<path:object_id>/registrations.csv",
                self.admin_site.admin_view(self.registrations_csv_view),
                name="{}_{}_registrations_csv".format(*info),
            ),
            path(
                "<path:object_id>/attendance/import/",
                self.admin_site.admin_view(self.attendance_import_view),
                name="{}_{}_attendance_import".format(*info),
            ),
            *super().get_urls(),
        ]

    def _event_for(self, request, object_id: str, permission: str) -> Event:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        event = self.get_object(request, unquote(object_id))
        if event is None:
            raise Http404(_("No event with this id."))
        return event

    def _page_context(self, request, event: Event, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": event,
            "title": title,
            "subtitle": str(event),
        }

    def summary_view(self, request, object_id: str):
        event = self._event_for(request, object_id, "events.view_registration")
        context = self._page_context(request, event, gettext("Registration summary"))
        context["summary"] = registration_summary(event=event)
        return TemplateResponse(request, "admin/events/event/summary.html", context)

    def registrations_csv_view(self, request, object_id: str):
        event = self._event_for(request, object_id, "events.view_registration")
        return csv_response(
            *registrations_csv_export(
                queryset=event.registrations.all(),
                by=request.user,
                description=gettext("Registrants of %(event)s") % {"event": event},
                parameters={"event": event.pk},
            )
        )

    def attendance_import_view(self, request, object_id: str):
        event = self._event_for(request, object_id, "events.add_attendance")
        report = None
        if request.method == "POST":
            form = AttendanceImportForm(request.POST, request.FILES, event=event)
            if form.is_valid():
                try:
                    report = attendance_import_csv(
                        session=form.cleaned_data["session"],
                        file=form.cleaned_data["file"],
                        by=request.user,
                    )
                except AttendanceImportError as error:
                    form.add_error("file", error.message)
        else:
            form = AttendanceImportForm(event=event)
        context = self._page_context(request, event, gettext("Import attendance"))
        context.update(
            form=form,
            report=report,
            report_sections=import_report_sections(report) if report else [],
        )
        return TemplateResponse(request, "admin/events/event/attendance_import.html", context)

    @admin.action(permissions=["add"], description=_("Copy as next edition (draft)…"))
    def copy_as_next_edition(self, request, queryset):
        """Staff choose each new start date on an intermediate page; the copies are drafts, and
        the page that follows says what moved."""
        events = list(queryset.select_related("programme").order_by("start", "pk"))
        form = EditionCopyForm(
            request.POST if "copy_confirmed" in request.POST else None, events=events
        )
        if form.is_valid():
            summaries = []
            for event, start_date in form.start_dates():
                copy = event_copy_as_next_edition(
                    event=event, start_date=start_date, user=request.user
                )
                summaries.append(edition_copy_summary(source=event, copy=copy))
            self.message_user(
                request,
                ngettext(
                    "Created %(count)d draft; check what moved below.",
                    "Created %(count)d drafts; check what moved below.",
                    len(summaries),
                )
                % {"count": len(summaries)},
                messages.SUCCESS,
            )
            context = self._list_page_context(request, gettext("Next editions created"))
            context["summaries"] = summaries
            return TemplateResponse(request, "admin/events/event/copy_done.html", context)
        context = self._list_page_context(request, gettext("Copy as next edition"))
        context.update(form=form, events=events, action="copy_as_next_edition")
        return TemplateResponse(request, "admin/events/event/copy_form.html", context)

    def _list_page_context(self, request, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }

    @admin.action(permissions=["change"], description=_("Publish"))
    def publish(self, request, queryset):
        published, refused = 0, []
        for event in queryset.select_related("programme"):
            try:
                event_publish(event=event)
            except ValidationError as error:
                refused.append((event.title, "; ".join(error.messages)))
            else:
                published += 1
        if published:
            self.message_user(
                request,
                ngettext("Published %(count)d event.", "Published %(count)d events.", published)
                % {"count": published},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                format_html(
                    "{} {}",
                    _("Not published, to be completed first:"),
                    format_html_join("; ", "{} ({})", refused),
                ),
                messages.ERROR,
            )


@admin.register(Session)
class SessionAdmin(TranslationsAdminMixin, ContentAdminMixin, admin.ModelAdmin):
    """Details of one session (description, related resources); the agenda's times are edited
    on its event, where they are read in the event's time zone."""

    formfield_overrides = URL_FIELDS
    list_display = ("title", "event", "local_start", "topic")
    list_filter = ("event__programme",)
    list_select_related = ("event", "topic")
    search_fields = ("title", "event__title")
    autocomplete_fields = ("speakers",)
    filter_horizontal = ("resources",)
    fields = (
        "event",
        "title",
        "local_start",
        "local_end",
        "topic",
        "speakers",
        "description",
        "recording_url",
        "resources",
    )
    readonly_fields = ("event", "local_start", "local_end")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("start (local time)"), ordering="start")
    def local_start(self, obj: Session) -> str:
        return local(obj.start, zone(obj.event.time_zone))

    @admin.display(description=_("end (local time)"))
    def local_end(self, obj: Session) -> str:
        return local(obj.end, zone(obj.event.time_zone))


def import_report_sections(report) -> list[tuple[str, list[str]]]:
    return [
        (_("Marked present"), report.marked),
        (_("Already marked present"), report.already_marked),
        (_("No account with this email address"), report.unknown),
        (_("An account, but no confirmed registration for this event"), report.not_registered),
        (_("Listed more than once"), report.duplicates),
        (_("Rows not understood"), report.invalid),
    ]
