"""Filters of the public event list (django-filter). Every filter is a plain GET parameter."""

import operator
from functools import reduce

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.content_languages import TRANSLATION_LANGUAGES, column, page_language
from accounts.models import OrganisationType
from events.models import Event, Session
from repository.models import LanguageCode, ProductAreaCode
from repository.search import search_units, text_contains

# Where the words of a search of events are looked for.
SEARCHED_FIELDS = (
    "title",
    "summary",
    "description",
    "city",
    "venue",
    "programme__name",
)


def _and_translations(fields: tuple[str, ...]) -> list[str]:
    """`fields` and, on a page in another language than English, their translations into it
    (the city has none)."""
    language = page_language()
    if language not in TRANSLATION_LANGUAGES:
        return list(fields)
    return [*fields, *(column(field, language) for field in fields if field != "city")]


def event_search_condition(query: str) -> Q:
    """The events that have every unit of the query (a word or a known term, or one of what it
    may also be) in one of SEARCHED_FIELDS or a session's title, in English or in the page's
    language."""
    fields = _and_translations(SEARCHED_FIELDS)
    session_fields = _and_translations(("title",))
    condition = Q()
    for unit in search_units(query):
        either = Q()
        for term in unit:
            words = Q()
            for word in term.split():
                in_sessions = Session.objects.filter(
                    reduce(operator.or_, [text_contains(field, word) for field in session_fields])
                ).values("event")
                words &= reduce(operator.or_, [text_contains(field, word) for field in fields]) | Q(
                    pk__in=in_sessions
                )
            either |= words
        condition &= either
    return condition


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    when = django_filters.ChoiceFilter(
        label=_("When"),
        choices=[("upcoming", _("Upcoming")), ("past", _("Past events (archive)"))],
        method="filter_when",
        empty_label=None,
    )
    # Slugs and codes are matched as they are (no lookup query per filter): an unknown value
    # simply matches nothing.
    programme = django_filters.CharFilter(
        label=_("Programme"), field_name="programme__slug", max_length=100
    )
    format = django_filters.ChoiceFilter(label=_("Format"), choices=Event.Format.choices)
    region = django_filters.ChoiceFilter(label=_("WHO region"), choices=Event.REGION_CHOICES)
    topic = django_filters.CharFilter(label=_("Topic"), method="filter_topic", max_length=200)
    audience = django_filters.ChoiceFilter(
        label=_("Audience"), choices=OrganisationType.choices, field_name="audiences__code"
    )
    product_area = django_filters.ChoiceFilter(
        label=_("Product area"), choices=ProductAreaCode.choices, field_name="product_areas__code"
    )
    language = django_filters.ChoiceFilter(
        label=_("Language"), choices=LanguageCode.choices, field_name="languages__code"
    )
    year = django_filters.NumberFilter(
        label=_("Year"), field_name="edition_year", min_value=1990, max_value=2100
    )
    open = django_filters.BooleanFilter(
        label=_("Open for registration"),
        method="filter_open",
        widget=django_filters.widgets.BooleanWidget,
    )

    class Meta:
        model = Event
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        """The words in the title, summary, description, programme, place or a session's title,
        whatever the case and accents, with synonyms, other spellings and typos as the
        repository's search knows them (repository.search.search_units)."""
        return queryset.filter(event_search_condition(value))

    def filter_when(self, queryset, name, value):
        return queryset.past() if value == "past" else queryset.upcoming()

    def filter_topic(self, queryset, name, value):
        # A broad topic also finds events tagged with one of its narrower topics.
        tagged = Event.objects.filter(Q(topics__slug=value) | Q(topics__parent__slug=value))
        tagged = tagged.values("pk")
        return queryset.filter(pk__in=tagged)

    def filter_open(self, queryset, name, value):
        if value:
            return queryset.open_for_registration()
        return queryset.exclude(pk__in=Event.objects.open_for_registration().values("pk"))
