from allauth.account.adapter import DefaultAccountAdapter
from django.urls import translate_url
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Send allauth's emails (verification, password reset) in the person's language."""
        user = context.get("user")
        language = getattr(user, "preferred_language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def get_login_redirect_url(self, request):
        url = super().get_login_redirect_url(request)
        language = getattr(request.user, "preferred_language", "")
        return translate_url(url, language) if language else url
