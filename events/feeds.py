"""Calendar files and feeds (being written)."""

from django.contrib.syndication.views import Feed
from django.http import Http404


def upcoming_ics(request):
    raise Http404


def event_ics(request, slug):
    raise Http404


def programme_ics(request, slug):
    raise Http404


class LatestEventsFeed(Feed):
    title = "LPA Portal events"
    link = "/"

    def items(self):
        return []
