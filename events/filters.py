"""Filters of the public event list (django-filter). Every filter is a plain GET parameter."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from events.models import Event, Programme
from repository.models import Audience, Language, ProductArea, Topic


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    when = django_filters.ChoiceFilter(
        label=_("When"),
        choices=[("upcoming", _("Upcoming")), ("past", _("Past events (archive)"))],
        method="filter_when",
        empty_label=None,
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=Programme.objects.all(), to_field_name="slug"
    )
    format = django_filters.ChoiceFilter(label=_("Format"), choices=Event.Format.choices)
    region = django_filters.ChoiceFilter(label=_("WHO region"), choices=Event.REGION_CHOICES)
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"), queryset=Topic.objects.all(), to_field_name="slug", method="filter_topic"
    )
    audience = django_filters.ModelChoiceFilter(
        label=_("Audience"),
        queryset=Audience.objects.all(),
        to_field_name="code",
        field_name="audiences",
    )
    product_area = django_filters.ModelChoiceFilter(
        label=_("Product area"),
        queryset=ProductArea.objects.all(),
        to_field_name="code",
        field_name="product_areas",
    )
    language = django_filters.ModelChoiceFilter(
        label=_("Language"),
        queryset=Language.objects.all(),
        to_field_name="code",
        field_name="languages",
    )
    year = django_filters.NumberFilter(
        label=_("Year"), field_name="edition_year", min_value=1990, max_value=2100
    )
    open = django_filters.BooleanFilter(
        label=_("Open for registration"), method="filter_open", widget=django_filters.widgets.BooleanWidget
    )

    class Meta:
        model = Event
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        for word in value.split()[:8]:
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(city__icontains=word)
                | Q(programme__name__icontains=word)
            )
        return queryset

    def filter_when(self, queryset, name, value):
        return queryset.past() if value == "past" else queryset.upcoming()

    def filter_topic(self, queryset, name, value):
        # A broad topic also finds events tagged with one of its narrower topics.
        tagged = Event.objects.filter(Q(topics=value) | Q(topics__parent=value)).values("pk")
        return queryset.filter(pk__in=tagged)

    def filter_open(self, queryset, name, value):
        if value:
            return queryset.open_for_registration()
        return queryset.exclude(pk__in=Event.objects.open_for_registration().values("pk"))
