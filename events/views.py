"""Public event pages: the list with its filters, an event, a programme."""

from django.http import Http404
from django.urls import reverse
from django.views.generic import DetailView, TemplateView

from events import selectors
from events.models import Event, Programme
from events.structured_data import event_json_ld, json_ld_script


class EventListView(TemplateView):
    template_name = "events/event_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        result = selectors.event_list(params=self.request.GET, user=self.request.user)
        context.update(
            result=result,
            page_obj=result.page,
            events=result.page.object_list,
            active_filters=[facet for facet in result.facets if facet.selected],
            query=self.request.GET.get("q", ""),
            open_only=self.request.GET.get("open") == "true",
        )
        return context


class EventDetailView(DetailView):
    template_name = "events/event_detail.html"
    context_object_name = "event"

    def get_object(self, queryset=None):
        try:
            return selectors.event_detail(slug=self.kwargs["slug"], user=self.request.user)
        except Event.DoesNotExist as error:
            raise Http404 from error

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object
        user = self.request.user
        visitor_zone = getattr(user, "time_zone", "") if user.is_authenticated else ""
        url = self.request.build_absolute_uri(event.get_absolute_url())
        context.update(
            is_preview=event.status == Event.Status.DRAFT,
            agenda=selectors.event_agenda(event=event, visitor_zone=visitor_zone),
            speakers=selectors.event_speakers(event=event),
            registration=selectors.event_registration_state(event=event, user=user),
            visitor_zone=visitor_zone,
            json_ld=json_ld_script(event_json_ld(event=event, url=url)),
            ics_url=reverse("events:ics", kwargs={"slug": event.slug}),
        )
        return context


class ProgrammeDetailView(DetailView):
    template_name = "events/programme_detail.html"
    context_object_name = "programme"

    def get_object(self, queryset=None):
        try:
            return selectors.programme_detail(slug=self.kwargs["slug"])
        except Programme.DoesNotExist as error:
            raise Http404 from error

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["editions"] = selectors.programme_editions(programme=self.object)
        return context
