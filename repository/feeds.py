"""Atom feeds of new resources: all of them, or those on a topic. Public resources only."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repository import selectors
from repository.models import Resource, Topic

FEED_ITEMS = 30


class LatestResourcesFeed(Feed):
    """The resources most recently made public, in the language of the URL."""

    feed_type = Atom1Feed
    title = gettext_lazy("LPA Portal: new resources")
    subtitle = description = gettext_lazy(
        "Guidance, tools, Q&A reports and training materials of WHO's Local Production & "
        "Assistance Unit."
    )
    author_name = "World Health Organization — Local Production & Assistance Unit"

    def link(self):
        return reverse("repository:list")

    def items(self):
        return selectors.feed_resources(limit=FEED_ITEMS)

    def item_title(self, item: Resource) -> str:
        return item.title

    def item_description(self, item: Resource) -> str:
        return item.summary

    def item_link(self, item: Resource) -> str:
        # Made absolute by Feed, with the portal's domain (sites framework) and the request scheme.
        return item.get_absolute_url()

    def item_pubdate(self, item: Resource):
        return item.made_public

    def item_updateddate(self, item: Resource):
        return max(item.updated_at, item.made_public)

    def item_categories(self, item: Resource) -> list[str]:
        return [str(item.get_kind_display())]


class TopicResourcesFeed(LatestResourcesFeed):
    """New resources on one topic, its narrower topics included."""

    def get_object(self, request, slug):
        return get_object_or_404(Topic, slug=slug)

    def title(self, topic: Topic) -> str:
        return _("LPA Portal: new resources on %(topic)s") % {"topic": topic.name}

    def link(self, topic: Topic) -> str:
        return reverse("repository:topic", kwargs={"slug": topic.slug})

    def items(self, topic: Topic):
        return selectors.feed_resources(topic=topic, limit=FEED_ITEMS)
