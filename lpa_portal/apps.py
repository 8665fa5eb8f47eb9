from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


def _sync_site(sender, **kwargs):
    """Name the portal in the sites framework (used by allauth's emails) after SITE_URL."""
    from django.contrib.sites.models import Site

    Site.objects.update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": urlsplit(settings.SITE_URL).netloc, "name": "LPA Portal"},
    )


class PortalConfig(AppConfig):
    default = True
    name = "lpa_portal"
    verbose_name = "LPA Portal"

    def ready(self):
        # Sent for each migrated app; the update is cheap and idempotent.
        post_migrate.connect(_sync_site, dispatch_uid="lpa_portal.sync_site")


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the portal's site (lpa_portal.admin_site) as `admin.site`."""

    default = False
    default_site = "lpa_portal.admin_site.PortalAdminSite"
