"""Public pages of the knowledge repository: the list and search, a resource, a topic."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, TemplateView

from accounts.ratelimits import visitor_key
from repository import access_requests, selectors
from repository.forms import AccessRequestForm
from repository.models import Resource, ResourceFile, Topic


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
        # The person's own grants and requests: that page is made for them, never kept.
        context["personal"] = selectors.resource_page_is_personal(resource=resource, user=user)
        return context


class AccessRequestView(LoginRequiredMixin, FormView):
    """ "Request access" to a restricted file: why the person needs it; their profile goes to
    the LPA team with it."""

    template_name = "repository/access_request_form.html"
    form_class = AccessRequestForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.file = access_requests.restricted_file(
                    slug=kwargs["slug"], file_id=kwargs["file_id"], user=request.user
                )
            except ResourceFile.DoesNotExist as error:
                raise Http404 from error
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            file=self.file,
            resource=self.file.resource,
            grant_days=access_requests.GRANT_DAYS,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            access_requests.access_request_create(
                user=self.request.user, file=self.file, reason=form.cleaned_data["reason"]
            )
        except access_requests.AccessRequestError as error:
            messages.info(self.request, error.message)
        else:
            messages.success(
                self.request,
                _("Your request is sent. The LPA team will tell you its decision by email."),
            )
        return redirect(self.file.resource)


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
