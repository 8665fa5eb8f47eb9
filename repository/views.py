"""Public pages of the knowledge repository: the list and search, a resource, a topic."""

from django.http import Http404
from django.utils.functional import SimpleLazyObject
from django.views.generic import DetailView, TemplateView

from accounts.ratelimits import visitor_key
from repository import selectors
from repository.models import Resource, Topic


class ResourceListView(TemplateView):
    """The list, its facets and search results. A list without search words is made only when
    the template does not find it kept; searches, nearly all different, are made every time,
    and logged."""

    template_name = "repository/resource_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        params, user = request.GET, request.user
        query = selectors.search_words(params=params)
        result = SimpleLazyObject(lambda: selectors.resource_list(params=params, user=user))
        if query:
            selectors.log_search(
                params=params,
                query=query,  # what the person typed, not the words searched for in the end
                total=result.total,
                filters=result.filters,
                visitor=visitor_key(request),
            )
        context.update(
            result=result,
            query=query,
            sort_options=selectors.sort_options(query=query),
            first_page=params.get("page", "1") in ("", "1"),
        )
        return context


class ResourceDetailView(DetailView):
    template_name = "repository/resource_detail.html"
    context_object_name = "resource"

    def get_object(self, queryset=None):
        try:
            return selectors.resource_record(slug=self.kwargs["slug"], user=self.request.user)
        except Resource.DoesNotExist as error:
            raise Http404 from error

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        resource, user = self.object, self.request.user
        # What the page shows of the resource, the same for every visitor of a kind: read only
        # when the template does not find it kept.
        context["detail"] = SimpleLazyObject(
            lambda: selectors.resource_detail(resource=resource, user=user)
        )
        context["access_notice"] = SimpleLazyObject(
            lambda: selectors.access_notice(resource=resource, user=user)
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
