"""Public pages of the knowledge repository: the list and search, a resource, a topic."""

from django.http import Http404
from django.views.generic import DetailView, TemplateView

from repository import selectors
from repository.models import Resource, Topic


class ResourceListView(TemplateView):
    template_name = "repository/resource_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        result = selectors.resource_list(params=self.request.GET, user=self.request.user)
        context.update(
            result=result,
            page_obj=result.page,
            resources=result.page.object_list,
            query=result.query,
            sort_options=selectors.sort_options(query=result.query),
        )
        return context


class ResourceDetailView(DetailView):
    template_name = "repository/resource_detail.html"
    context_object_name = "resource"

    def get_object(self, queryset=None):
        try:
            self.detail = selectors.resource_detail(
                slug=self.kwargs["slug"], user=self.request.user
            )
        except Resource.DoesNotExist as error:
            raise Http404 from error
        return self.detail.resource

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            detail=self.detail,
            access_notice=selectors.access_notice(
                resource=self.detail.resource, user=self.request.user
            ),
        )
        return context


class TopicDetailView(DetailView):
    template_name = "repository/topic_detail.html"
    context_object_name = "topic"

    def get_object(self, queryset=None):
        try:
            return selectors.topic_detail(slug=self.kwargs["slug"])
        except Topic.DoesNotExist as error:
            raise Http404 from error

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = selectors.topic_resources(
            topic=self.object, user=self.request.user, page_number=self.request.GET.get("page")
        )
        context.update(
            page_obj=page,
            resources=page.object_list,
            upcoming_events=selectors.topic_upcoming_events(topic=self.object),
        )
        return context
