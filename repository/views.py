"""Public pages of the knowledge repository (being built: see the issue on the repository)."""

from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, TemplateView

from repository.models import Resource, Topic


class ResourceListView(TemplateView):
    template_name = "repository/resource_list.html"


class ResourceDetailView(DetailView):
    template_name = "repository/resource_detail.html"
    context_object_name = "resource"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Resource.objects.visible_to(self.request.user), slug=self.kwargs["slug"]
        )


class TopicDetailView(DetailView):
    template_name = "repository/topic_detail.html"
    context_object_name = "topic"
    model = Topic
