"""The sitemap: each public page once per language, with hreflang links to its translations."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from events.models import Event, Programme


class _Translated(Sitemap):
    # One <url> per language in settings.LANGUAGES, each listing the others as alternates.
    i18n = True
    alternates = True
    x_default = True


class StaticViewSitemap(_Translated):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return ["home", "about", "events:list", "privacy", "accessibility", "contact"]

    def location(self, item):
        return reverse(item)


class EventSitemap(_Translated):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        # Ordered, so that the pages of a long sitemap are stable.
        return Event.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, event):
        return event.updated_at


class ProgrammeSitemap(_Translated):
    changefreq = "monthly"
    priority = 0.7

    def items(self):
        return Programme.objects.only("slug").order_by("pk")


SITEMAPS = {
    "static": StaticViewSitemap,
    "events": EventSitemap,
    "programmes": ProgrammeSitemap,
}
