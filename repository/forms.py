"""Forms of the public repository pages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AccessRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need this file?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example the work or the inspection you need it for. The LPA team reads it with "
            "your profile."
        ),
    )
