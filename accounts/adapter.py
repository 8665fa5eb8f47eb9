"""The portal's adapter of django-allauth: emails in the person's language, sign-in in it too,
and sign-up that keeps where the person was going."""

from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

# What the "verify your email" page needs to send the email again: the address the sign-up
# gave, and where the person was going (e.g. the event whose Register button led to sign-up).
VERIFICATION_SESSION_KEY = "lpa_verification"


def safe_next(request, candidate: str) -> str:
    """`candidate` if it is a path on this site, else ""."""
    candidate = (candidate or "").strip()
    if (
        candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()})
    ):
        return candidate
    return ""


def next_of(request) -> str:
    """Where the person was going: the `next` of this request, or of their sign-up."""
    if request is None:
        return ""
    remembered = getattr(request, "session", {}).get(VERIFICATION_SESSION_KEY) or {}
    for candidate in (
        request.POST.get("next") if request.method == "POST" else "",
        request.GET.get("next"),
        remembered.get("next"),
    ):
        if path := safe_next(request, candidate or ""):
            return path
    return ""


def _remember(request, email: str) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[VERIFICATION_SESSION_KEY] = {"email": email, "next": next_of(request)}


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Send allauth's emails (verification, password reset) in the person's language."""
        user = context.get("user")
        language = getattr(user, "preferred_language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def get_login_redirect_url(self, request):
        url = super().get_login_redirect_url(request)
        language = getattr(request.user, "preferred_language", "") or ""
        return translate_url(url, language) if language else url

    def send_confirmation_mail(self, request, emailconfirmation, signup):
        _remember(request, emailconfirmation.email_address.email)
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def send_account_already_exists_mail(self, email):
        # Sign-up with an address already taken: the page is the same as for a new one (no
        # enumeration), and so is "Send the email again".
        _remember(context.request, email)
        super().send_account_already_exists_mail(email)

    def get_email_confirmation_url(self, request, emailconfirmation):
        """The link in the email keeps where the person was going: whichever browser opens it,
        the confirmation then leads there."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        path = next_of(request)
        return f"{url}?{urlencode({'next': path})}" if path else url
