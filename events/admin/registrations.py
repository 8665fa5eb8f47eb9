"""The admin of registrations and their attendance.

Registrations are changed only through the actions of their list, which call the services and
so apply the rules of seats and the waiting list; their pages are read-only.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter

from accounts.models import OrganisationType, WHORegion
from events.admin.base import ReadOnlyAdminMixin, choice_label, csv_response
from events.attendance import attendance_mark
from events.exceptions import RegistrationError
from events.exports import answer_text, registrations_csv_export
from events.models import Attendance, Registration, RegistrationStatusChange, Session
from events.services import (
    registration_approve,
    registration_cancel,
    registration_promote,
    registration_reject,
    registration_resend_confirmation,
)
from events.templatetags.event_tags import date_range, local_datetime


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


class StatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
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

    @admin.display(description=_("change"))
    def change(self, obj: RegistrationStatusChange) -> str:
        def label(code: str) -> str:
            return choice_label(Registration.Status, code) if code else "–"

        return f"{label(obj.from_status)} → {label(obj.to_status)}"


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Registrations are made by the register form and changed by the actions, which call the
    services; the page of one registration only shows it and its history. The form would bypass
    the rules of seats, and a registration is cancelled, not deleted: its history and the
    event's figures stay.

    The list shows what staff act on (who, status, organisation, country, when); the rest is on
    the registration's page. The event is shown while the list is not narrowed to one event."""

    list_display = (
        "participant",
        "event",
        "status",
        "organisation",
        "country",
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

    def get_list_display(self, request):
        if "event__id__exact" in request.GET:
            return tuple(name for name in self.list_display if name != "event")
        return self.list_display

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("events.change_registration")

    def has_attendance_permission(self, request) -> bool:
        return request.user.has_perm("events.add_attendance")

    @admin.display(description=_("participant"), ordering="full_name")
    def participant(self, obj: Registration) -> str:
        return format_html(
            '{}<br><span class="registration-email">{}</span>', obj.full_name or "–", obj.user.email
        )

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj: Registration) -> str:
        return obj.user.email

    @admin.display(description=_("WHO region"), ordering="who_region")
    def region(self, obj: Registration) -> str:
        return choice_label(WHORegion, obj.who_region)

    @admin.display(description=_("organisation type"), ordering="organisation_type")
    def organisation_kind(self, obj: Registration) -> str:
        return choice_label(OrganisationType, obj.organisation_type)

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

    @admin.action(
        permissions=["attendance"],
        description=_("Mark as present at every session that has started"),
    )
    def mark_attended(self, request, queryset):
        """Attendance only at the sessions that have started (`Session.has_started`); the
        message names what was left out and why. Certificates wait for the end of the event."""
        now = timezone.now()
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
        notes = []
        for event_id, registrations in by_event.items():
            event = registrations[0].event
            sessions = sessions_by_event[event_id]
            started = [session for session in sessions if session.has_started(now)]
            if not sessions or not started:
                reason = (
                    gettext("the event has no sessions")
                    if not sessions
                    else gettext(
                        "no session of the event has started yet (the first starts on %(start)s)"
                    )
                    % {"start": local_datetime(sessions[0].start, event.tz)}
                )
                problems.extend((str(registration), reason) for registration in registrations)
                continue
            new_rows += attendance_mark(
                registrations=registrations,
                sessions=started,
                source=Attendance.Source.ADMIN,
                by=request.user,
            )
            marked += len(registrations)
            if len(started) < len(sessions):
                notes.append(
                    ngettext(
                        "%(event)s: %(count)d session has not started yet and was left out.",
                        "%(event)s: %(count)d sessions have not started yet and were left out.",
                        len(sessions) - len(started),
                    )
                    % {"event": event.title, "count": len(sessions) - len(started)}
                )
            if not event.has_ended(now):
                notes.append(
                    gettext(
                        "%(event)s: certificates of attendance are issued once the event has "
                        "ended (%(dates)s)."
                    )
                    % {"event": event.title, "dates": date_range(event.start, event.end, event.tz)}
                )
        done = ngettext(
            "Marked %(count)d registration as present at every session of its event "
            "that has started (%(new)d new attendance records).",
            "Marked %(count)d registrations as present at every session of their event "
            "that has started (%(new)d new attendance records).",
            marked,
        ) % {"count": marked, "new": new_rows}
        self._report(request, done=done if marked else None, problems=problems)
        for note in notes:
            self.message_user(request, note, messages.INFO)

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
        return csv_response(
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
