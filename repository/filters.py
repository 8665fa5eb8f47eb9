"""Filters of the repository list (django-filter). Every filter is a plain GET parameter.

The search words (`q`) are not a filter here: matching them depends on who searches (see
repository.search), so the selector applies them to the base of every count.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import OrganisationType, WHORegion
from repository.models import LanguageCode, ProductAreaCode, Resource

SORT_CHOICES = [
    ("relevance", _("Relevance")),
    ("newest", _("Newest first")),
    ("downloads", _("Most downloaded")),
    ("title", _("Title (A–Z)")),
]


class ResourceFilter(django_filters.FilterSet):
    # Slugs and codes are matched as they are (no lookup query per filter): an unknown value
    # simply matches nothing.
    type = django_filters.ChoiceFilter(
        label=_("Type"), choices=Resource.Kind.choices, field_name="kind"
    )
    topic = django_filters.CharFilter(label=_("Topic"), method="filter_topic", max_length=200)
    audience = django_filters.ChoiceFilter(
        label=_("Audience"), choices=OrganisationType.choices, method="filter_audience"
    )
    product_area = django_filters.ChoiceFilter(
        label=_("Product area"), choices=ProductAreaCode.choices, method="filter_product_area"
    )
    language = django_filters.ChoiceFilter(
        label=_("Language"), choices=LanguageCode.choices, method="filter_language"
    )
    year = django_filters.NumberFilter(
        label=_("Year"), field_name="publication_year", min_value=1900, max_value=2100
    )
    region = django_filters.ChoiceFilter(
        label=_("WHO region"), choices=WHORegion.choices, method="filter_region"
    )

    class Meta:
        model = Resource
        fields: list[str] = []

    # Multi-valued relations are filtered through a subquery, so that no row is repeated and
    # the filters combine without joins multiplying one another.
    def _having(self, queryset, **lookup):
        return queryset.filter(pk__in=Resource.objects.filter(**lookup).values("pk"))

    def filter_topic(self, queryset, name, value):
        # A broad topic also finds resources tagged with one of its narrower topics.
        tagged = Resource.objects.filter(Q(topics__slug=value) | Q(topics__parent__slug=value))
        return queryset.filter(pk__in=tagged.values("pk"))

    def filter_audience(self, queryset, name, value):
        return self._having(queryset, audiences__code=value)

    def filter_product_area(self, queryset, name, value):
        return self._having(queryset, product_areas__code=value)

    def filter_language(self, queryset, name, value):
        return self._having(queryset, files__language=value)

    def filter_region(self, queryset, name, value):
        return self._having(queryset, regions__code=value)
