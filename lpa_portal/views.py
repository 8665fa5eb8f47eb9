"""Pages that belong to no single app: the home page composes events and resources."""

from django.views.generic import TemplateView

from events import selectors as event_selectors
from repository import selectors as repository_selectors


class HomeView(TemplateView):
    template_name = "pages/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["upcoming_events"] = event_selectors.upcoming_events(limit=3)
        context["latest_resources"] = repository_selectors.latest_resources(limit=3)
        return context
