"""The admin of Event managers: programmes, events with their agenda, speakers and partners.

Event times are typed and shown as the wall-clock time of the event's own time zone (a session
at 09:00 in Geneva is entered as 09:00, whatever the season), not in the server's UTC.

Registrations are changed only through the actions of their list, which call the services and
so apply the rules of seats and the waiting list; their pages are read-only.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import datetime
from functools import cache

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.filters import CountryFilter

from accounts.cache import ContentAdminMixin
from accounts.models import OrganisationType, WHORegion
from events.attendance import (
    AttendanceImportError,
    attendance_import_csv,
    attendance_mark,
    feedback_summary,
)
from events.emails import email_delivery_send
from events.exceptions import MessageError, RegistrationError
from events.exports import answer_text, registrations_csv_export
from events.messages import (
    message_create,
    message_delivery_report,
    message_preview,
    message_send,
    message_update,
)
from events.models import (
    AlertSubscription,
    Attendance,
    EmailDelivery,
    Event,
    Feedback,
    Invitation,
    Message,
    Partner,
    Programme,
    Question,
    Registration,
    RegistrationStatusChange,
    Session,
    Speaker,
    invitation_code_new,
)
from events.services import (
    event_banner_renditions_update,
    event_copy_as_next_edition,
    event_fill_from_waiting_list,
    event_publish,
    registration_approve,
    registration_cancel,
    registration_promote,
    registration_reject,
    registration_resend_confirmation,
)

UTC = zoneinfo.ZoneInfo("UTC")
# A link pasted without its scheme is taken as https (Django 6's default).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


@cache
def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name) if name else UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def _local(value: datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    if value is None:
        return "–"
    return f"{timezone.localtime(value, tz):%Y-%m-%d %H:%M} ({tz.key})"


class WallClockDateTimeField(forms.SplitDateTimeField):
    """A date and a time as typed, without a time zone: the form says which zone they are in."""

    def compress(self, data_list):
        if not data_list:
            return None
        if data_list[0] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if data_list[1] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.combine(*data_list)


class LocalTimesFormMixin:
    """Shows and reads the `local_time_fields` as wall-clock times of one time zone."""

    local_time_fields: tuple[str, ...] = ()

    def _show_in_zone(self, tz: zoneinfo.ZoneInfo) -> None:
        for name in self.local_time_fields:
            value = self.initial.get(name)
            if isinstance(value, datetime) and timezone.is_aware(value):
                self.initial[name] = timezone.localtime(value, tz).replace(tzinfo=None)

    def _read_in_zone(self, tz: zoneinfo.ZoneInfo) -> None:
        for name in self.local_time_fields:
            value = self.cleaned_data.get(name)
            if not isinstance(value, datetime) or timezone.is_aware(value):
                continue
            aware = value.replace(tzinfo=tz)
            if aware.utcoffset() != value.replace(tzinfo=tz, fold=1).utcoffset():
                self.add_error(
                    name,
                    _(
                        "%(time)s does not exist or happens twice in %(zone)s because the "
                        "clocks change that night; choose another time."
                    )
                    % {"time": f"{value:%Y-%m-%d %H:%M}", "zone": tz.key},
                )
            else:
                self.cleaned_data[name] = aware


EVENT_LOCAL_TIMES = (
    "start",
    "end",
    "registration_opens",
    "registration_closes",
    "cancellation_deadline",
)


class EventAdminForm(LocalTimesFormMixin, forms.ModelForm):
    local_time_fields = EVENT_LOCAL_TIMES

    class Meta:
        model = Event
        # The admin's fieldsets choose the fields; these are the ones the form itself handles.
        fields = ("time_zone", *EVENT_LOCAL_TIMES)
        field_classes = dict.fromkeys(EVENT_LOCAL_TIMES, WallClockDateTimeField)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "time_zone" in self.fields:
            self.fields["time_zone"].widget = forms.Select(choices=_time_zone_choices())
            self.fields["time_zone"].help_text = _(
                "IANA name of the event's local time zone, e.g. Asia/Kathmandu. The start, end, "
                "registration and session times are entered and shown in this time zone."
            )
        zone = _zone(self.instance.time_zone)
        self._show_in_zone(zone)
        for name in self.local_time_fields:
            if name in self.fields:
                self.fields[name].help_text = _(
                    "Local time of the event's time zone (now %(zone)s)."
                ) % {"zone": zone.key}

    def clean(self):
        cleaned_data = super().clean()
        # A time zone with an error leaves the form invalid anyway; the stored one reads the rest.
        self._read_in_zone(_zone(cleaned_data.get("time_zone") or self.instance.time_zone))
        return cleaned_data


class SessionInlineForm(LocalTimesFormMixin, forms.ModelForm):
    local_time_fields = ("start", "end")

    class Meta:
        model = Session
        fields = ("start", "end")
        field_classes = dict.fromkeys(("start", "end"), WallClockDateTimeField)

    def __init__(self, *args, event_tz: zoneinfo.ZoneInfo = UTC, **kwargs):
        super().__init__(*args, **kwargs)
        self.event_tz = event_tz
        self._show_in_zone(event_tz)

    def clean(self):
        cleaned_data = super().clean()
        self._read_in_zone(self.event_tz)
        return cleaned_data


class SessionInlineFormSet(BaseInlineFormSet):
    def get_form_kwargs(self, index):
        # The formset is built after the event's form is cleaned, so its instance carries the
        # time zone just chosen. When that zone is new, a stored session's initial value (its
        # instant shown in the new zone) differs from the wall-clock time posted, so the session
        # is saved again and keeps its wall-clock time, as the event does.
        return {**super().get_form_kwargs(index), "event_tz": _zone(self.instance.time_zone)}

    @cached_property
    def _topic_choices(self) -> list:
        return list(self.form.base_fields["topic"].choices)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # One query for the topics of the whole agenda, not one per session row.
        if "topic" in form.fields:
            form.fields["topic"].choices = self._topic_choices


class SessionInline(admin.TabularInline):
    formfield_overrides = URL_FIELDS
    model = Session
    form = SessionInlineForm
    formset = SessionInlineFormSet
    fields = ("title", "start", "end", "topic", "speakers", "recording_url")
    autocomplete_fields = ("speakers",)
    ordering = ("start", "pk")
    extra = 1
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("speakers")


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("label", "help_text", "kind", "choices", "required", "order")
    ordering = ("order", "pk")
    extra = 0


class InvitationInlineForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ("code", "email", "max_uses", "expires_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "code" in self.fields:
            self.fields["code"].required = False
            self.fields["code"].help_text = _("Leave blank to have one made up.")

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip() or invitation_code_new()


class InvitationInline(admin.TabularInline):
    model = Invitation
    form = InvitationInlineForm
    fields = ("code", "email", "max_uses", "uses", "expires_at")
    readonly_fields = ("uses",)
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(ContentAdminMixin, admin.ModelAdmin):
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
class EventAdmin(ContentAdminMixin, admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    form = EventAdminForm
    inlines = (SessionInline, QuestionInline, InvitationInline)
    list_display = (
        "title",
        "programme",
        "edition_year",
        "local_start",
        "format",
        "region",
        "status",
        "preview",
    )
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
        return _local(obj.start, _zone(obj.time_zone))

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
        super().save_model(request, obj, form, change)
        if "banner" in form.changed_data:
            event_banner_renditions_update(event=obj)
        if obj.status == Event.Status.PUBLISHED and obj.published_at is None:
            event_publish(event=obj)
        if change and _capacity_raised(form.initial.get("capacity"), obj.capacity):
            promoted = event_fill_from_waiting_list(event=obj, by=request.user)
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
        context["summary"] = _registration_summary(event)
        return TemplateResponse(request, "admin/events/event/summary.html", context)

    def registrations_csv_view(self, request, object_id: str):
        event = self._event_for(request, object_id, "events.view_registration")
        return _csv_response(
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
            report_sections=_import_report_sections(report) if report else [],
        )
        return TemplateResponse(request, "admin/events/event/attendance_import.html", context)

    @admin.action(permissions=["add"], description=_("Copy as next edition (draft)"))
    def copy_as_next_edition(self, request, queryset):
        copies = [
            event_copy_as_next_edition(event=event, user=request.user)
            for event in queryset.order_by("start")
        ]
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:events_event_change", args=[copy.pk]), copy.title) for copy in copies),
        )
        message = ngettext(
            "Created %(count)d draft for next year: {}",
            "Created %(count)d drafts for next year: {}",
            len(copies),
        ) % {"count": len(copies)}
        self.message_user(request, format_html(message, links), messages.SUCCESS)

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
class SessionAdmin(ContentAdminMixin, admin.ModelAdmin):
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
        return _local(obj.start, _zone(obj.event.time_zone))

    @admin.display(description=_("end (local time)"))
    def local_end(self, obj: Session) -> str:
        return _local(obj.end, _zone(obj.event.time_zone))


# --- Registrations ------------------------------------------------------------------------------


def _capacity_raised(old: int | None, new: int | None) -> bool:
    """More seats than before: a higher number, or no limit any more."""
    if old == new:
        return False
    return new is None or (old is not None and new > old)


def _csv_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _choice_label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code or "–"


def _registration_summary(event: Event) -> dict:
    """The figures of one event's registrations, each counted by the database.

    The tables by country, region and type of organisation count the registrations that are
    still active (confirmed, waiting or pending) and, of them, the people who attended.
    """
    registrations = Registration.objects.filter(event=event)
    Status = Registration.Status
    totals = registrations.aggregate(
        all=Count("pk"),
        present=Count("pk", filter=Q(attended=True)),
        **{f"status_{status}": Count("pk", filter=Q(status=status)) for status in Status.values},
    )

    def table(field: str) -> list[dict]:
        return list(
            registrations.filter(status__in=Registration.ACTIVE)
            .values(field)
            .annotate(registrations=Count("pk"), present=Count("pk", filter=Q(attended=True)))
            .order_by("-registrations", field)
        )

    by_country = [
        {**row, "label": countries.name(row["country"]) if row["country"] else "–"}
        for row in table("country")
    ]
    by_region = [
        {**row, "label": _choice_label(WHORegion, row["who_region"])} for row in table("who_region")
    ]
    by_type = [
        {**row, "label": _choice_label(OrganisationType, row["organisation_type"])}
        for row in table("organisation_type")
    ]
    sessions = [
        {
            "title": session.title,
            "start": _local(session.start, _zone(event.time_zone)),
            "present": session.present,
        }
        for session in event.sessions.annotate(present=Count("attendances")).order_by("start", "pk")
    ]
    confirmed = totals[f"status_{Status.CONFIRMED}"]
    return {
        "statuses": [
            (_("Registered (all)"), totals["all"]),
            (Status.CONFIRMED.label, confirmed),
            (Status.WAITLISTED.label, totals[f"status_{Status.WAITLISTED}"]),
            (Status.PENDING.label, totals[f"status_{Status.PENDING}"]),
            (Status.CANCELLED.label, totals[f"status_{Status.CANCELLED}"]),
            (Status.REJECTED.label, totals[f"status_{Status.REJECTED}"]),
        ],
        "attended": totals["present"],
        "capacity": event.capacity,
        "seats_left": None if event.capacity is None else max(event.capacity - confirmed, 0),
        "countries": by_country,
        "countries_count": sum(1 for row in by_country if row["country"]),
        "countries_attended_count": sum(
            1 for row in by_country if row["country"] and row["present"]
        ),
        "regions": by_region,
        "organisation_types": by_type,
        "sessions": sessions,
        "sessions_required": event.sessions_required,
        "feedback": feedback_summary(event=event),
    }


class AttendanceImportForm(forms.Form):
    session = forms.ModelChoiceField(label=_("Session"), queryset=Session.objects.none())
    file = forms.FileField(
        label=_("Attendance report (CSV)"),
        help_text=_(
            "The participants report of the meeting software, saved as CSV. People are matched "
            "to registrations by their email address."
        ),
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        zone = _zone(event.time_zone)
        field = self.fields["session"]
        field.queryset = event.sessions.order_by("start", "pk")
        field.label_from_instance = lambda session: (
            f"{session.title} – {_local(session.start, zone)}"
        )


def _import_report_sections(report) -> list[tuple[str, list[str]]]:
    return [
        (_("Marked present"), report.marked),
        (_("Already marked present"), report.already_marked),
        (_("No account with this email address"), report.unknown),
        (_("An account, but no confirmed registration for this event"), report.not_registered),
        (_("Listed more than once"), report.duplicates),
        (_("Rows not understood"), report.invalid),
    ]


class ChoicesListFilter(admin.SimpleListFilter):
    """A filter on a code column without `choices` in the model, showing the codes' labels."""

    choices_class: type[models.TextChoices]

    def lookups(self, request, model_admin):
        return self.choices_class.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


class WHORegionFilter(ChoicesListFilter):
    title = _("WHO region")
    parameter_name = "who_region"
    choices_class = WHORegion


class OrganisationTypeFilter(ChoicesListFilter):
    title = _("organisation type")
    parameter_name = "organisation_type"
    choices_class = OrganisationType


class StatusChangeInline(admin.TabularInline):
    model = RegistrationStatusChange
    verbose_name = _("status change")
    verbose_name_plural = _("history")
    fields = ("created_at", "changed_by", "change", "reason")
    readonly_fields = fields
    ordering = ("created_at", "pk")
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("change"))
    def change(self, obj: RegistrationStatusChange) -> str:
        def label(code: str) -> str:
            return _choice_label(Registration.Status, code) if code else "–"

        return f"{label(obj.from_status)} → {label(obj.to_status)}"


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    """Registrations are made by the register form and changed by the actions, which call the
    services; the page of one registration only shows it and its history."""

    list_display = (
        "participant",
        "email",
        "event",
        "status",
        "country",
        "region",
        "organisation_kind",
        "attended",
        "created_at",
    )
    list_filter = (
        "status",
        ("event", admin.RelatedOnlyFieldListFilter),
        WHORegionFilter,
        OrganisationTypeFilter,
        "attended",
        ("country", CountryFilter),
    )
    list_select_related = ("event", "user")
    search_fields = ("full_name", "user__email", "organisation")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    list_per_page = 100
    show_full_result_count = False
    inlines = (StatusChangeInline,)
    fieldsets = (
        (None, {"fields": ("event", "user", "status", "waitlisted_at", "attended")}),
        (
            _("Profile when registering"),
            {
                "fields": (
                    "full_name",
                    "organisation",
                    "organisation_kind",
                    "job_title",
                    "country",
                    "region",
                )
            },
        ),
        (_("Answers"), {"fields": ("answers_list",)}),
        (
            _("Record"),
            {"fields": ("consent_at", "invitation", "created_at", "updated_at", "anonymised_at")},
        ),
    )
    readonly_fields = (
        "event",
        "user",
        "status",
        "waitlisted_at",
        "attended",
        "full_name",
        "organisation",
        "organisation_kind",
        "job_title",
        "country",
        "region",
        "answers_list",
        "consent_at",
        "invitation",
        "created_at",
        "updated_at",
        "anonymised_at",
    )
    actions = (
        "approve",
        "reject",
        "promote",
        "cancel",
        "mark_attended",
        "resend_confirmation",
        "export_csv",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The form would bypass the rules of seats; the actions below change registrations.
        return False

    def has_delete_permission(self, request, obj=None):
        # A registration is cancelled, not deleted: its history and the event's figures stay.
        return False

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("events.change_registration")

    def has_attendance_permission(self, request) -> bool:
        return request.user.has_perm("events.add_attendance")

    @admin.display(description=_("participant"), ordering="full_name")
    def participant(self, obj: Registration) -> str:
        return obj.full_name or "–"

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj: Registration) -> str:
        return obj.user.email

    @admin.display(description=_("WHO region"), ordering="who_region")
    def region(self, obj: Registration) -> str:
        return _choice_label(WHORegion, obj.who_region)

    @admin.display(description=_("organisation type"), ordering="organisation_type")
    def organisation_kind(self, obj: Registration) -> str:
        return _choice_label(OrganisationType, obj.organisation_type)

    @admin.display(description=_("answers"))
    def answers_list(self, obj: Registration) -> str:
        answers = [
            (item.get("question", key), answer_text(item.get("answer")))
            if isinstance(item, dict)
            else (key, answer_text(item))
            for key, item in (obj.answers or {}).items()
        ]
        if not answers:
            return "–"
        return format_html_join("", "<p><strong>{}:</strong> {}</p>", answers)

    # --- Actions ----------------------------------------------------------------------------

    def _report(self, request, *, done: str | None, problems: list[tuple[str, str]]) -> None:
        if done:
            self.message_user(request, done, messages.SUCCESS)
        if problems:
            self.message_user(
                request,
                format_html(
                    "{} {}",
                    ngettext(
                        "%(count)d registration was not changed:",
                        "%(count)d registrations were not changed:",
                        len(problems),
                    )
                    % {"count": len(problems)},
                    format_html_join("; ", "{} ({})", problems),
                ),
                messages.WARNING,
            )

    def _each(self, request, queryset, service) -> tuple[list[Registration], list]:
        """Call the service on each selected registration; collect the refusals, row by row."""
        changed, problems = [], []
        for registration in queryset.select_related("event", "user").order_by("created_at", "pk"):
            try:
                changed.append(service(registration))
            except RegistrationError as error:
                problems.append((str(registration), str(error.message)))
        return changed, problems

    @admin.action(permissions=["manage"], description=_("Approve selected requests"))
    def approve(self, request, queryset):
        changed, problems = self._each(
            request,
            queryset,
            lambda registration: registration_approve(registration=registration, by=request.user),
        )
        waiting = sum(
            1 for registration in changed if registration.status == Registration.Status.WAITLISTED
        )
        done = None
        if changed:
            done = ngettext(
                "Approved %(count)d request (%(waiting)d on the waiting list: the event is full).",
                "Approved %(count)d requests (%(waiting)d on the waiting list: the event is full).",
                len(changed),
            ) % {"count": len(changed), "waiting": waiting}
        self._report(request, done=done, problems=problems)

    @admin.action(permissions=["manage"], description=_("Reject selected requests"))
    def reject(self, request, queryset):
        changed, problems = self._each(
            request,
            queryset,
            lambda registration: registration_reject(registration=registration, by=request.user),
        )
        done = ngettext(
            "Rejected %(count)d request.", "Rejected %(count)d requests.", len(changed)
        ) % {"count": len(changed)}
        self._report(request, done=done if changed else None, problems=problems)

    @admin.action(permissions=["manage"], description=_("Promote from the waiting list"))
    def promote(self, request, queryset):
        changed, problems = self._each(
            request,
            queryset,
            lambda registration: registration_promote(registration=registration, by=request.user),
        )
        done = ngettext(
            "Confirmed %(count)d person from the waiting list.",
            "Confirmed %(count)d people from the waiting list.",
            len(changed),
        ) % {"count": len(changed)}
        self._report(request, done=done if changed else None, problems=problems)

    @admin.action(
        permissions=["manage"], description=_("Cancel (a freed seat goes to the waiting list)")
    )
    def cancel(self, request, queryset):
        promoted, problems = self._each(
            request,
            queryset,
            lambda registration: registration_cancel(
                registration=registration, by=request.user, reason="cancelled by staff"
            ),
        )
        cancelled = len(promoted)
        confirmed = sum(1 for registration in promoted if registration is not None)
        done = ngettext(
            "Cancelled %(count)d registration (%(promoted)d confirmed from the waiting list).",
            "Cancelled %(count)d registrations (%(promoted)d confirmed from the waiting list).",
            cancelled,
        ) % {"count": cancelled, "promoted": confirmed}
        self._report(request, done=done if cancelled else None, problems=problems)

    @admin.action(permissions=["attendance"], description=_("Mark as present at every session"))
    def mark_attended(self, request, queryset):
        by_event: dict[int, list[Registration]] = defaultdict(list)
        problems = []
        for registration in queryset.select_related("event").order_by("created_at", "pk"):
            if registration.status == Registration.Status.CONFIRMED:
                by_event[registration.event_id].append(registration)
            else:
                problems.append((str(registration), gettext("only confirmed registrations attend")))
        sessions_by_event: dict[int, list[Session]] = defaultdict(list)
        for session in Session.objects.filter(event__in=list(by_event)).order_by("start", "pk"):
            sessions_by_event[session.event_id].append(session)

        marked = new_rows = 0
        for event_id, registrations in by_event.items():
            sessions = sessions_by_event[event_id]
            if not sessions:
                problems.extend(
                    (str(registration), gettext("the event has no sessions"))
                    for registration in registrations
                )
                continue
            new_rows += attendance_mark(
                registrations=registrations,
                sessions=sessions,
                source=Attendance.Source.ADMIN,
                by=request.user,
            )
            marked += len(registrations)
        done = ngettext(
            "Marked %(count)d registration as present at every session of its event "
            "(%(new)d new attendance records).",
            "Marked %(count)d registrations as present at every session of their event "
            "(%(new)d new attendance records).",
            marked,
        ) % {"count": marked, "new": new_rows}
        self._report(request, done=done if marked else None, problems=problems)

    @admin.action(permissions=["manage"], description=_("Send the confirmation email again"))
    def resend_confirmation(self, request, queryset):
        changed, problems = self._each(
            request,
            queryset,
            lambda registration: registration_resend_confirmation(registration=registration),
        )
        done = ngettext(
            "Queued %(count)d confirmation email.",
            "Queued %(count)d confirmation emails.",
            len(changed),
        ) % {"count": len(changed)}
        self._report(request, done=done if changed else None, problems=problems)

    @admin.action(permissions=["view"], description=_("Export selected registrations (CSV)"))
    def export_csv(self, request, queryset):
        # The changelist's filters and search are in the query string of the action's form.
        return _csv_response(
            *registrations_csv_export(
                queryset=queryset,
                by=request.user,
                description=gettext("Registrations selected in the admin"),
                parameters={
                    "filters": {key: request.GET.getlist(key) for key in sorted(request.GET)},
                    "all_matching": request.POST.get("select_across") == "1",
                },
            )
        )


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    """The outbox of emails to registrants, to answer "did I get the email?"; read-only."""

    list_display = ("to", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    fields = (
        "to",
        "subject",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "registration",
        "message",
        "body_text",
    )
    readonly_fields = fields
    actions = ("retry_now",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("registration__event")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("events.change_emaildelivery")

    @admin.action(permissions=["retry"], description=_("Retry sending now"))
    def retry_now(self, request, queryset):
        retryable = (EmailDelivery.Status.PENDING, EmailDelivery.Status.FAILED)
        outcomes: dict[str, int] = defaultdict(int)
        skipped = 0
        for delivery_id, status in queryset.values_list("pk", "status"):
            if status not in retryable:
                skipped += 1
                continue
            outcomes[email_delivery_send(delivery_id=delivery_id)] += 1
        sent = outcomes.pop(EmailDelivery.Status.SENT, 0)
        if sent:
            self.message_user(
                request,
                ngettext("Sent %(count)d email.", "Sent %(count)d emails.", sent) % {"count": sent},
                messages.SUCCESS,
            )
        failed = sum(outcomes.values())
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email could not be sent; see its last error.",
                    "%(count)d emails could not be sent; see their last error.",
                    failed,
                )
                % {"count": failed},
                messages.WARNING,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email was left alone: only waiting or failed emails are retried.",
                    "%(count)d emails were left alone: only waiting or failed emails are retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """The answers to the survey after an event, without the names of who gave them."""

    list_display = ("event", "rating", "most_useful_session", "topics_wanted", "created_at")
    list_filter = (("registration__event", admin.RelatedOnlyFieldListFilter), "rating")
    list_select_related = ("registration__event", "most_useful_session")
    search_fields = ("topics_wanted", "comments")
    ordering = ("-created_at",)
    list_per_page = 100
    show_full_result_count = False
    fields = ("event", "rating", "most_useful_session", "topics_wanted", "comments", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("event"), ordering="registration__event__start")
    def event(self, obj: Feedback) -> Event:
        return obj.registration.event


# --- Messages to registrants --------------------------------------------------------------------


class MessageAdminForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ("event", "recipients", "subject", "body")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A plain list, newest first: the admin's autocomplete box has no accessible name.
        if "event" in self.fields:
            self.fields["event"].queryset = Event.objects.order_by("-start", "pk")


class MessageSendForm(forms.Form):
    # The digest of the recipients shown on the confirmation: if the list changes before the
    # click, nothing is sent and the new list is shown.
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages to the registrants of one event: written and previewed as drafts, sent once
    after a confirmation, then read-only with the delivery of each email. Only staff who may send
    messages (events.send_message, held by Event managers) see them at all."""

    form = MessageAdminForm
    list_display = (
        "subject",
        "event",
        "recipients",
        "status",
        "recipient_count",
        "created_by",
        "sent_at",
    )
    list_filter = ("status", "recipients", ("event", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("event", "created_by")
    search_fields = ("subject", "event__title")
    ordering = ("-created_at", "-pk")
    list_per_page = 100
    show_full_result_count = False
    DRAFT_FIELDS = ("event", "recipients", "subject", "body")
    SENT_FIELDS = (
        "event",
        "recipients",
        "subject",
        "body",
        "status",
        "recipient_count",
        "queued_count",
        "created_by",
        "created_at",
        "sent_by",
        "sent_at",
    )
    DELIVERIES_PER_PAGE = 200

    def _may_send(self, request) -> bool:
        return request.user.has_perm("events.send_message")

    def has_module_permission(self, request):
        return self._may_send(request)

    def has_view_permission(self, request, obj=None):
        return self._may_send(request)

    def has_add_permission(self, request):
        return self._may_send(request)

    def has_change_permission(self, request, obj=None):
        # Once sending has begun the message is what its recipients got: read-only.
        return self._may_send(request) and (obj is None or obj.is_draft)

    def has_delete_permission(self, request, obj=None):
        return self._may_send(request) and (obj is None or obj.is_draft)

    def get_actions(self, request):
        # A sent message and its deliveries are the record of what people were told.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_fields(self, request, obj=None):
        return self.DRAFT_FIELDS if obj is None or obj.is_draft else self.SENT_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None or obj.is_draft else self.SENT_FIELDS

    def get_queryset(self, request):
        # The frozen list of recipients can be long; the pages show its count instead.
        return (
            super()
            .get_queryset(request)
            .select_related("event", "created_by", "sent_by")
            .defer("recipient_ids")
        )

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.DRAFT_FIELDS}
        try:
            if change:
                message_update(message=obj, **data)
                return
            created = message_create(by=request.user, **data)
        except MessageError as error:
            # Sent by someone else while this form was open: the sent text stays as it was.
            raise PermissionDenied(str(error.message)) from error
        obj.pk, obj.created_by, obj.created_at = created.pk, created.created_by, created.created_at
        obj._state.adding = False

    def _preview_redirect(self, request, obj):
        self.message_user(
            request,
            gettext("The draft is saved. Check the email and its recipients, then send it."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._url("preview", obj.pk))

    def response_add(self, request, obj, post_url_continue=None):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return self._preview_redirect(request, obj)

    def response_change(self, request, obj):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        return self._preview_redirect(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        message = self.get_object(request, unquote(object_id))
        if message is not None and not message.is_draft and self._may_send(request):
            report = message_delivery_report(message=message)
            paginator = Paginator(report["deliveries"], self.DELIVERIES_PER_PAGE)
            extra_context["report"] = report
            extra_context["deliveries_page"] = paginator.get_page(request.GET.get("page"))
        return super().change_view(request, object_id, form_url, extra_context)

    # --- Preview and send -------------------------------------------------------------------

    def _url(self, name: str, pk) -> str:
        return reverse(f"admin:events_message_{name}", args=[pk])

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="events_message_preview",
            ),
            path(
                "<path:object_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="events_message_send",
            ),
            *super().get_urls(),
        ]

    def _draft_for(self, request, object_id: str) -> Message | HttpResponseRedirect:
        if not self._may_send(request):
            raise PermissionDenied
        message = self.get_object(request, unquote(object_id))
        if message is None:
            raise Http404(_("No message with this id."))
        if not message.is_draft:
            self.message_user(
                request,
                gettext("This message has already been sent; here is its delivery."),
                messages.WARNING,
            )
            return HttpResponseRedirect(self._url("change", message.pk))
        return message

    def _page_context(self, request, message: Message, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": message,
            "title": title,
            "subtitle": str(message),
            "change_url": self._url("change", message.pk),
            "preview_url": self._url("preview", message.pk),
            "send_url": self._url("send", message.pk),
        }

    def preview_view(self, request, object_id: str):
        message = self._draft_for(request, object_id)
        if isinstance(message, HttpResponseRedirect):
            return message
        recipient = request.GET.get("recipient", "")
        preview = message_preview(
            message=message, recipient_id=int(recipient) if recipient.isdigit() else None
        )
        context = self._page_context(request, message, gettext("Preview of the message"))
        context["preview"] = preview
        return TemplateResponse(request, "admin/events/message/preview.html", context)

    def send_view(self, request, object_id: str):
        message = self._draft_for(request, object_id)
        if isinstance(message, HttpResponseRedirect):
            return message
        error = None
        if request.method == "POST":
            form = MessageSendForm(request.POST)
            if form.is_valid():
                try:
                    sent = message_send(
                        message=message,
                        by=request.user,
                        fingerprint=form.cleaned_data["fingerprint"],
                    )
                except MessageError as refused:
                    error = refused.message
                else:
                    self.message_user(
                        request,
                        ngettext(
                            "The message is being sent to %(count)d registrant.",
                            "The message is being sent to %(count)d registrants.",
                            sent.recipient_count,
                        )
                        % {"count": sent.recipient_count},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", message.pk))
            else:
                error = gettext("The confirmation was not understood; confirm again.")
        preview = message_preview(message=message)
        context = self._page_context(request, message, gettext("Send the message"))
        context.update(
            preview=preview,
            error=error,
            form=MessageSendForm(initial={"fingerprint": preview["fingerprint"]}),
        )
        return TemplateResponse(request, "admin/events/message/send.html", context)


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(admin.ModelAdmin):
    """What people follow, for staff to answer "why did I (not) get this alert?"; read-only:
    people manage their alerts themselves, in My account."""

    list_display = ("user", "follows", "frequency", "created_at")
    list_filter = ("frequency", "new_events", "new_resources")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    list_per_page = 100
    show_full_result_count = False
    fields = (
        "user",
        "new_events",
        "new_resources",
        "programmes",
        "topics",
        "regions",
        "product_areas",
        "frequency",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("programmes", "topics", "regions", "product_areas")
        )

    @admin.display(description=_("follows"))
    def follows(self, obj):
        kinds = [_("events")] if obj.new_events else []
        kinds += [_("resources")] if obj.new_resources else []
        narrowed = [
            str(value)
            for values in (obj.programmes, obj.topics, obj.regions, obj.product_areas)
            for value in values.all()
        ]
        return " · ".join(
            [", ".join(str(kind) for kind in kinds), ", ".join(narrowed) or gettext("anything")]
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
