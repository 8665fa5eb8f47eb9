"""My account: overview, profile, personal-data download and account deletion."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts import services
from accounts.adapter import VERIFICATION_SESSION_KEY
from accounts.exceptions import AccountError
from accounts.forms import DeleteAccountForm, ProfileForm


class OverviewView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/overview.html"


class ProfileEditView(LoginRequiredMixin, FormView):
    template_name = "accounts/profile_form.html"
    form_class = ProfileForm
    success_url = reverse_lazy("accounts:overview")

    def get_initial(self):
        user = self.request.user
        return {field: getattr(user, field) for field in services.PROFILE_FIELDS} | {
            "country": self.request.user.country.code
        }

    def form_valid(self, form):
        services.user_profile_update(user=self.request.user, data=form.cleaned_data)
        messages.success(self.request, _("Your profile has been saved."))
        return super().form_valid(form)


class DataExportView(LoginRequiredMixin, View):
    def get(self, request):
        data = services.user_data_download(user=request.user)
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        filename = f"lpa-portal-my-data-{timezone.now():%Y-%m-%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class DeleteAccountView(LoginRequiredMixin, FormView):
    template_name = "accounts/delete_form.html"
    form_class = DeleteAccountForm

    def form_valid(self, form):
        try:
            services.user_delete_account(
                user=self.request.user, password=form.cleaned_data["password"]
            )
        except AccountError as error:
            form.add_error("password", str(error))
            return self.form_invalid(form)
        logout(self.request)
        messages.success(self.request, _("Your account and your personal data have been deleted."))
        return redirect("home")


class ResendVerificationView(View):
    """ "Send the email again" on the "verify your email address" page after sign-up: a new
    link to the address of this browser's sign-up, within allauth's limit (one every three
    minutes per address). The answer is the same whether the address was new or taken."""

    def post(self, request):
        pending = request.session.get(VERIFICATION_SESSION_KEY) or {}
        email = pending.get("email", "")
        if not email:
            messages.info(request, _("Sign in, and we will send a new link if it is needed."))
            return redirect("account_login")
        if not services.verification_email_resend(request=request, email=email):
            messages.warning(
                request,
                _(
                    "We sent an email a moment ago. Give it a few minutes and look in your spam "
                    "folder too, then ask again if it has not come."
                ),
            )
        return redirect("account_email_verification_sent")
