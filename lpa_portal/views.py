"""Pages that belong to no single app: the home page composes events and resources."""

from django.views.generic import TemplateView


class HomeView(TemplateView):
    template_name = "pages/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Filled in by the events and repository selectors once those apps have content.
        context["upcoming_events"] = []
        context["latest_resources"] = []
        return context
