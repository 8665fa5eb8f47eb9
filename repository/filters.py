"""Filters of the repository list (django-filter). Every filter is a plain GET parameter.

The search words (`q`) are not a filter here: matching them depends on who searches (see
repository.search), so the selector applies them first, and the filters to what they find.
"""

import django_filters
from django.core.validators import EMPTY_VALUES
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
    # Each filter is a condition on Resource (see `condition`): the list applies all of them, and
    # each facet counts over all but its own. Slugs and codes are matched as they are (no lookup
    # query per filter): an unknown value simply matches nothing.
    type = django_filters.ChoiceFilter(
        label=_("Type"), choices=Resource.Kind.choices, method="filter_condition"
    )
    topic = django_filters.CharFilter(label=_("Topic"), method="filter_condition", max_length=200)
    audience = django_filters.ChoiceFilter(
        label=_("Audience"), choices=OrganisationType.choices, method="filter_condition"
    )
    product_area = django_filters.ChoiceFilter(
        label=_("Product area"), choices=ProductAreaCode.choices, method="filter_condition"
    )
    language = django_filters.ChoiceFilter(
        label=_("Language"), choices=LanguageCode.choices, method="filter_condition"
    )
    year = django_filters.NumberFilter(
        label=_("Year"), min_value=1900, max_value=2100, method="filter_condition"
    )
    region = django_filters.ChoiceFilter(
        label=_("WHO region"), choices=WHORegion.choices, method="filter_condition"
    )

    class Meta:
        model = Resource
        fields: list[str] = []

    def filter_condition(self, queryset, name, value):
        return queryset.filter(self.condition(name, value))

    def active(self) -> dict[str, object]:
        """The active filters and their cleaned values (once the filterset is valid)."""
        return {
            name: value
            for name, value in self.form.cleaned_data.items()
            if value not in EMPTY_VALUES
        }

    def conditions(self) -> dict[str, Q]:
        """The active filters, each as a condition on Resource (once the filterset is valid)."""
        return {name: self.condition(name, value) for name, value in self.active().items()}

    @staticmethod
    def condition(name: str, value) -> Q:
        if name == "type":
            return Q(kind=value)
        if name == "year":
            return Q(publication_year=value)
        if name == "topic":
            # A broad topic also finds resources tagged with one of its narrower topics.
            return _having(Q(topics__slug=value) | Q(topics__parent__slug=value))
        return _having(Q(**{RELATED[name]: value}))


# Filters on multi-valued relations: parameter -> lookup from Resource
RELATED = {
    "audience": "audiences__code",
    "product_area": "product_areas__code",
    "language": "files__language",
    "region": "regions__code",
}


def _having(condition: Q) -> Q:
    # Through a subquery, so that no row is repeated and the filters combine without joins
    # multiplying one another.
    return Q(pk__in=Resource.objects.filter(condition).values("pk"))
