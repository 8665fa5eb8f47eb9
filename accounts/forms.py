import zoneinfo

from django import forms
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import OrganisationType, User, language_choices
from accounts.regions import country_choices

format_html_lazy = lazy(format_html, SafeString)


def _country_field() -> forms.Field:
    # WHO's list, by WHO's names, in the visitor's language when the form is rendered (the
    # choices are worked out then); other territories after it, labelled as having no region.
    return forms.ChoiceField(
        label=_("Country"),
        choices=country_choices,
        help_text=_("The country where you work. It also sets your WHO region."),
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )


class ProfileFieldsMixin(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        help_text=_("As it should appear on certificates of attendance."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    organisation_type = forms.ChoiceField(
        label=_("Type of organisation"),
        choices=[("", _("Choose a type")), *OrganisationType.choices],
    )
    job_title = forms.CharField(
        label=_("Job title"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    country = _country_field()
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=language_choices,
        help_text=_("The language of the emails we send you."),
    )


def _time_zone_choices():
    return [
        ("", _("My browser's time zone")),
        *((name, name) for name in sorted(zoneinfo.available_timezones())),
    ]


class SignupForm(ProfileFieldsMixin):
    """Extra sign-up fields; allauth adds email and password and calls `signup()`."""

    accept_privacy = forms.BooleanField(
        label=format_html_lazy(
            _('I have read and accept the <a href="{}">privacy notice</a>.'),
            reverse_lazy("privacy"),
        ),
        required=True,
        error_messages={"required": _("Please accept the privacy notice to create an account.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_language"].initial = get_language()

    def signup(self, request, user: User) -> None:
        services.user_profile_update(user=user, data=self.cleaned_data)
        services.user_privacy_accept(user=user)


class ProfileForm(ProfileFieldsMixin):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=_time_zone_choices,
        help_text=_("Event times are also shown in this time zone."),
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you."),
    )
