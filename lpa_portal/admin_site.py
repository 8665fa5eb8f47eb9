"""The portal's admin site: Django's, with three doors closed.

- Staff sign in through the same allauth flow as everyone else (`/accounts/login/`), so that its
  rate limits, counted in the shared cache, apply to the admin too: `/admin/login/` only sends
  people there.
- "View on site" (`/admin/r/<content type>/<id>/`) answers only for objects of models registered
  here, that the staff member may view in the admin, and that have a public page; anything else,
  including an id that is not one of the model's keys, is a 404.
- An admin action posted with selected ids that are not keys of the model is a 404, not a 500.
"""

from __future__ import annotations

from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

# PostgreSQL's integer keys; a larger number cannot name a row.
_MAX_KEY = 2**63 - 1


class PortalAdminSite(admin.AdminSite):
    site_header = _("LPA Portal administration")
    site_title = _("LPA Portal admin")
    index_title = _("Events, registrations and the knowledge repository")

    def get_urls(self):
        urls = super().get_urls()
        for index, pattern in enumerate(urls):
            if getattr(pattern, "name", None) == "view_on_site":
                urls[index] = path(
                    "r/<int:content_type_id>/<path:object_id>/",
                    self.admin_view(self.view_on_site_redirect),
                    name="view_on_site",
                )
        return urls

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        """Sign in through allauth's rate-limited form; a signed-in person without access to
        the admin is told so (sending them back to sign in would go round in circles)."""
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
            return render(
                request,
                "admin/no_access.html",
                {**self.each_context(request), "title": _("No access to the administration")},
                status=403,
            )
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = ""
        target = target or reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(
            f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: target})}"
        )

    def admin_view(self, view, cacheable=False):
        return super().admin_view(_valid_selected_action(view), cacheable)

    def view_on_site_redirect(self, request, content_type_id: int, object_id: str):
        """Django's `shortcut` view, limited to what this staff member may view here."""
        if not 0 < content_type_id <= _MAX_KEY:
            raise Http404
        try:
            content_type = ContentType.objects.get_for_id(content_type_id)
        except ContentType.DoesNotExist:
            raise Http404 from None
        model = content_type.model_class()
        model_admin = self._registry.get(model) if model is not None else None
        if model_admin is None or not model_admin.view_on_site:
            raise Http404
        obj = _object_or_none(model_admin, request, object_id)
        if obj is None or not model_admin.has_view_permission(request, obj):
            raise Http404
        if callable(model_admin.view_on_site):
            url = model_admin.view_on_site(obj)
        elif hasattr(obj, "get_absolute_url"):
            url = obj.get_absolute_url()
        else:
            raise Http404
        if not url or not url.startswith("/") or url.startswith("//"):
            raise Http404
        return HttpResponseRedirect(url)


def _object_or_none(model_admin, request, object_id: str):
    """The object named by `object_id`, or None when no key of the model could be it."""
    if not _is_key_of(model_admin.model, object_id):
        return None
    return model_admin.get_object(request, object_id)


def _is_key_of(model, value: str) -> bool:
    field = model._meta.pk
    try:
        key = field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    if isinstance(key, int) and not -_MAX_KEY <= key <= _MAX_KEY:
        return False
    return key is not None


def _valid_selected_action(view):
    """A model admin's views refuse an action on ids that are not keys of the model."""
    model_admin = getattr(view, "__self__", None)
    if not isinstance(model_admin, admin.ModelAdmin):
        return view

    def checked(request, *args, **kwargs):
        if request.method == "POST":
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            if not all(_is_key_of(model_admin.model, value) for value in selected):
                raise Http404
        return view(request, *args, **kwargs)

    return update_wrapper(checked, view)
