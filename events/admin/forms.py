"""The forms of the events admin: times typed in the event's own time zone, the agenda, the
invitations, the attendance import, messages to registrants and the copy of an edition."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from events.admin.base import UTC, local, time_zone_choices, zone
from events.models import Event, Invitation, Message, Session, invitation_code_new


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
            self.fields["time_zone"].widget = forms.Select(
                choices=time_zone_choices(self.instance.time_zone)
            )
            self.fields["time_zone"].help_text = _(
                "IANA name of the event's local time zone, e.g. Asia/Kathmandu. The start, end, "
                "registration and session times are entered and shown in this time zone."
            )
        tz = zone(self.instance.time_zone)
        self._show_in_zone(tz)
        for name in self.local_time_fields:
            if name in self.fields:
                self.fields[name].help_text = _(
                    "Local time of the event's time zone (now %(zone)s)."
                ) % {"zone": tz.key}

    def clean(self):
        cleaned_data = super().clean()
        # A time zone with an error leaves the form invalid anyway; the stored one reads the rest.
        self._read_in_zone(zone(cleaned_data.get("time_zone") or self.instance.time_zone))
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
        return {**super().get_form_kwargs(index), "event_tz": zone(self.instance.time_zone)}

    @cached_property
    def _topic_choices(self) -> list:
        return list(self.form.base_fields["topic"].choices)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # One query for the topics of the whole agenda, not one per session row.
        if "topic" in form.fields:
            form.fields["topic"].choices = self._topic_choices


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
        tz = zone(event.time_zone)
        field = self.fields["session"]
        field.queryset = event.sessions.order_by("start", "pk")
        field.label_from_instance = lambda session: f"{session.title} – {local(session.start, tz)}"


class MessageAdminForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ("event", "recipients", "subject", "reply_to", "body")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A plain list, newest first: the admin's autocomplete box has no accessible name.
        if "event" in self.fields:
            self.fields["event"].queryset = Event.objects.order_by("-start", "pk")


class MessageSendForm(forms.Form):
    # The digest of the recipients shown on the confirmation: if the list changes before the
    # click, nothing is sent and the new list is shown.
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)


class EditionCopyForm(forms.Form):
    """The start date of the next edition of each selected event, chosen by staff. A date on
    another weekday is refused: every session keeps its weekday (see
    `event_copy_as_next_edition`)."""

    def __init__(self, *args, events: list[Event], **kwargs):
        super().__init__(*args, **kwargs)
        self.events = events
        for event in events:
            start = timezone.localtime(event.start, event.tz).date()
            self.fields[self.field_name(event)] = forms.DateField(
                label=_("New start date of “%(event)s”") % {"event": event.title},
                initial=suggested_start(event),
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text=_("This edition started on %(date)s.")
                % {"date": date_format(start, "l j F Y")},
            )

    @staticmethod
    def field_name(event: Event) -> str:
        return f"start_{event.pk}"

    def clean(self):
        cleaned_data = super().clean()
        for event in self.events:
            name = self.field_name(event)
            chosen = cleaned_data.get(name)
            if chosen is None:
                continue
            start = timezone.localtime(event.start, event.tz).date()
            if chosen.weekday() != start.weekday():
                before = chosen - timedelta(days=(chosen.weekday() - start.weekday()) % 7)
                self.add_error(
                    name,
                    _(
                        "This edition started on a %(weekday)s; choose a %(weekday)s so that "
                        "every session keeps its weekday, e.g. %(before)s or %(after)s."
                    )
                    % {
                        "weekday": date_format(start, "l"),
                        "before": date_format(before, "j F Y"),
                        "after": date_format(before + timedelta(days=7), "j F Y"),
                    },
                )
        return cleaned_data

    def start_dates(self) -> list[tuple[Event, date]]:
        return [(event, self.cleaned_data[self.field_name(event)]) for event in self.events]


def suggested_start(event: Event) -> date:
    """52 weeks after the edition's first day: the same weekday, within two days of the date."""
    return timezone.localtime(event.start, event.tz).date() + timedelta(weeks=52)
