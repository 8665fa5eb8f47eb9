"""Public pages of the knowledge repository: the list and search, a resource, a topic."""

from django.http import Http404
from django.template.loader import render_to_string
from django.views.generic import DetailView, TemplateView

from accounts.ratelimits import visitor_key
from lpa_portal import fragments
from repository import selectors
from repository.models import Resource, Topic


class ResourceListView(TemplateView):
    template_name = "repository/resource_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request

        def render() -> dict[str, object]:
            result = selectors.resource_list(params=request.GET, user=request.user, log=False)
            main = render_to_string(
                "repository/_resource_list_main.html",
                {
                    "result": result,
                    "page_obj": result.page,
                    "resources": result.page.object_list,
                    "query": result.query,
                    "sort_options": selectors.sort_options(query=result.query),
                },
                request,
            )
            return {
                "main": main,
                "query": result.query,
                "total": result.total,
                "filters": result.filters,
                "page_number": result.page.number,
            }

        part = fragments.cached_part(
            "resource-list",
            (request.get_full_path(), fragments.viewer_kind(request.user)),
            render,
            apps=("repository",),
        )
        selectors.log_search(
            params=request.GET,
            query=part["query"],
            total=part["total"],
            filters=part["filters"],
            visitor=visitor_key(request),
        )
        context.update(part)
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
        request = self.request
        user = request.user

        def render() -> dict[str, object]:
            detail = selectors.resource_detail(resource=self.object, user=user)
            parts = {
                "resource": detail.resource,
                "detail": detail,
                "access_notice": selectors.access_notice(resource=detail.resource, user=user),
            }
            return {
                "head": render_to_string("repository/_resource_head.html", parts, request),
                "main": render_to_string("repository/_resource_main.html", parts, request),
            }

        context.update(
            fragments.cached_part(
                "resource-page", (request.build_absolute_uri(), fragments.viewer_kind(user)), render
            )
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
