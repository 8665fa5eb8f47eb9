"""The sitemap: each public page once per language, with hreflang links to its translations."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from events.models import Event, Programme
from repository.models import Resource, Topic


class _Translated(Sitemap):
    # One <url> per language in settings.LANGUAGES, each listing the others as alternates.
    i18n = True
    alternates = True
    x_default = True


class StaticViewSitemap(_Translated):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return [
            "home",
            "about",
            "events:list",
            "repository:list",
            "privacy",
            "accessibility",
            "contact",
        ]

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


class ResourceSitemap(_Translated):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        # Public resources only: drafts, withdrawn and embargoed ones are not announced.
        return Resource.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, resource):
        return resource.updated_at


class TopicSitemap(_Translated):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Topic.objects.only("slug").order_by("pk")

    def location(self, topic):
        return reverse("repository:topic", kwargs={"slug": topic.slug})


SITEMAPS = {
    "static": StaticViewSitemap,
    "events": EventSitemap,
    "programmes": ProgrammeSitemap,
    "resources": ResourceSitemap,
    "topics": TopicSitemap,
}
