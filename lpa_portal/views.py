"""Pages that belong to no single app: the home page composes events and resources."""

import sys

from django.utils.functional import SimpleLazyObject
from django.views.defaults import server_error as default_server_error
from django.views.generic import TemplateView

from accounts.ratelimits import visitor_key
from events import selectors as event_selectors
from lpa_portal.middleware import service_unavailable_response, unavailable_service
from repository import selectors as repository_selectors


class HomeView(TemplateView):
    template_name = "pages/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Read only when the template does not find the lists kept.
        programmes = SimpleLazyObject(event_selectors.programmes_with_next_edition)
        context["programmes"] = programmes
        # The flagship editions are shown with their programme; the list has the others.
        context["upcoming_events"] = SimpleLazyObject(
            lambda: event_selectors.upcoming_events(
                limit=3,
                exclude=[p.next_edition_id for p in programmes if p.is_flagship and p.next_edition],
            )
        )
        context["latest_resources"] = SimpleLazyObject(
            lambda: repository_selectors.latest_resources(limit=3)
        )
        return context


class AboutView(TemplateView):
    """The unit and its programmes; each section about a programme leads to its page and its
    current or next edition."""

    template_name = "pages/about.html"
    # The About page's sections describe these programmes (by their slug).
    SECTIONS = {
        "marathon": "virtual-cgmp-training-marathon",
        "week_of_quality": "week-of-quality",
        "workshops": "regional-training-workshops",
    }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        programmes = event_selectors.programmes_with_next_edition()
        by_slug = {programme.slug: programme for programme in programmes}
        context["programmes"] = programmes
        context["section_programmes"] = {
            section: by_slug.get(slug) for section, slug in self.SECTIONS.items()
        }
        return context


class SearchView(TemplateView):
    """One search box for the whole portal: the events and the resources that the words find,
    each with how many, and a link to the full list of each."""

    template_name = "pages/search.html"
    PREVIEW = 5

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        query = repository_selectors.search_words(params=request.GET)
        context["query"] = query
        if query:
            resources = repository_selectors.resource_search_preview(
                query=query, user=request.user, limit=self.PREVIEW
            )
            repository_selectors.log_search(
                params=request.GET,
                query=query,
                total=resources.total,
                filters={"scope": "portal"},
                visitor=visitor_key(request),
            )
            context.update(
                resources=resources,
                events=event_selectors.event_search_preview(
                    query=query, user=request.user, limit=self.PREVIEW
                ),
            )
        return context


def server_error(request):
    """handler500: an outage of the database, the cache or the file store that surfaced outside
    a view (e.g. in a middleware) gets the 503 page too; every other error the usual 500 page."""
    error = sys.exc_info()[1]
    service = unavailable_service(error) if error is not None else None
    if service is not None:
        return service_unavailable_response(request, error, service)
    return default_server_error(request)


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page declares: the portal's icon (an SVG,
    which they all read), cached for a day."""
    from django.http import HttpResponsePermanentRedirect
    from django.templatetags.static import static

    response = HttpResponsePermanentRedirect(static("img/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
