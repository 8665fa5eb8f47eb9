"""Pages that belong to no single app: the home page composes events and resources."""

import sys

from django.template.loader import render_to_string
from django.views.defaults import server_error as default_server_error
from django.views.generic import TemplateView

from events import selectors as event_selectors
from lpa_portal import fragments
from lpa_portal.middleware import service_unavailable_response, unavailable_service
from repository import selectors as repository_selectors


class HomeView(TemplateView):
    template_name = "pages/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request

        def render() -> dict[str, object]:
            lists = {
                "upcoming_events": event_selectors.upcoming_events(limit=3),
                "latest_resources": repository_selectors.latest_resources(limit=3),
            }
            return {"lists": render_to_string("pages/_home_lists.html", lists, request)}

        context.update(fragments.cached_part("home-lists", (), render))
        return context


def server_error(request):
    """handler500: an outage of the database, the cache or the file store that surfaced outside
    a view (e.g. in a middleware) gets the 503 page too; every other error the usual 500 page."""
    error = sys.exc_info()[1]
    service = unavailable_service(error) if error is not None else None
    if service is not None:
        return service_unavailable_response(request, error, service)
    return default_server_error(request)
