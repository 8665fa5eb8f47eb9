"""Atom feeds of new resources (being built)."""

from django.contrib.syndication.views import Feed


class LatestResourcesFeed(Feed):
    title = "LPA Portal resources"
    link = "/"

    def items(self):
        return []


class TopicResourcesFeed(LatestResourcesFeed):
    def get_object(self, request, slug):
        return slug
