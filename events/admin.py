"""The admin of Event managers: programmes, events with their agenda, speakers and partners.

Event times are typed and shown as the wall-clock time of the event's own time zone (a session
at 09:00 in Geneva is entered as 09:00, whatever the season), not in the server's UTC.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.models import Event, Partner, Programme, Session, Speaker
from events.services import (
    event_banner_renditions_update,
    event_copy_as_next_edition,
    event_publish,
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


class EventAdminForm(LocalTimesFormMixin, forms.ModelForm):
    local_time_fields = ("start", "end", "registration_opens", "registration_closes")

    class Meta:
        model = Event
        # The admin's fieldsets choose the fields; these are the ones the form itself handles.
        fields = ("time_zone", "start", "end", "registration_opens", "registration_closes")
        field_classes = dict.fromkeys(
            ("start", "end", "registration_opens", "registration_closes"), WallClockDateTimeField
        )

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


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
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
class PartnerAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("name", "url")
    search_fields = ("name",)


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "organisation")
    search_fields = ("name", "organisation")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    form = EventAdminForm
    inlines = (SessionInline,)
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
class SessionAdmin(admin.ModelAdmin):
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
