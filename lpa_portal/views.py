"""Pages that belong to no single app: the home page composes events and resources."""

from django.views.generic import TemplateView

from events import selectors as event_selectors


class HomeView(TemplateView):
    template_name = "pages/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["upcoming_events"] = event_selectors.upcoming_events(limit=3)
        # The repository selectors fill this once resources have pages of their own.
        context["latest_resources"] = []
        return context
