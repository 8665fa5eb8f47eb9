"""Reads of the public repository pages: what a visitor may see, with what each template needs.

Two rules run through every function here (see repository.models):
- a resource record is shown to everyone once published and past its embargo; staff see every
  record, drafts and embargoed ones as previews;
- its content (files, Q&A items, text extracted from the files) only to visitors whose access
  level reaches the resource's; the others get the metadata and a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.http import QueryDict
from django.utils import timezone

from repository.filters import SORT_CHOICES, ResourceFilter
from repository.models import (
    LanguageCode,
    QAItem,
    Resource,
    ResourceFile,
    Topic,
)
from repository.search import (
    annotate_search,
    normalise_query,
    search_filter,
    search_query_log,
)

PAGE_SIZE = 20
TOPIC_EVENTS = 10

# facet parameter -> the value it is grouped by in the database
FACET_FIELDS = {
    "type": "kind",
    "topic": "topics__slug",
    "audience": "audiences__code",
    "product_area": "product_areas__code",
    "language": "files__language",
    "year": "publication_year",
    "region": "regions__code",
}

ORDERINGS = {
    "relevance": ("-rank", F("publication_date").desc(nulls_last=True), "pk"),
    "newest": (F("publication_date").desc(nulls_last=True), "-pk"),
    "downloads": ("-download_count", F("publication_date").desc(nulls_last=True), "pk"),
    "title": ("title", "pk"),
}

# The fields a card shows; the long ones (body, search documents) stay in the database.
CARD_DEFERRED = ("body", "citation", "search_metadata", "search_full")


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    level: int = 0


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption] = field(default_factory=list)

    @property
    def selected(self) -> FacetOption | None:
        return next((option for option in self.options if option.selected), None)


@dataclass
class Suggestion:
    """A way out of an empty result: the same search without one filter."""

    facet: Facet
    params: str  # query string without that filter
    count: int


@dataclass
class ResourceList:
    filterset: ResourceFilter
    page: Page
    facets: list[Facet]
    total: int
    query: str
    sort: str
    suggestions: list[Suggestion]
    broad_topics: list[Topic]

    @property
    def active_facets(self) -> list[Facet]:
        return [facet for facet in self.facets if facet.selected]


def _visible(user) -> QuerySet[Resource]:
    return Resource.objects.visible_to(user)


def resource_list(*, params: QueryDict, user) -> ResourceList:
    """The filtered, searched, sorted and paginated list.

    Each facet counts the resources its options would give together with the search words and
    every *other* active filter, in one grouped query per facet, so the number of queries never
    grows with the data. A search on the first page is logged, anonymously.
    """
    params = params.copy()
    query = normalise_query(params.get("q", ""))
    sort = params.get("sort", "")
    if sort not in ORDERINGS or (sort == "relevance" and not query):
        sort = "relevance" if query else "newest"
    visible = _visible(user)
    base = search_filter(queryset=visible, query=query, user=user)
    filterset = ResourceFilter(params, queryset=base)
    valid = filterset.is_valid()
    queryset = filterset.qs if valid else base.none()
    if query:
        queryset = annotate_search(queryset=queryset, query=query, user=user)
    queryset = (
        queryset.defer(*CARD_DEFERRED)
        .prefetch_related(_languages_prefetch())
        .order_by(*ORDERINGS[sort])
    )
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    page.object_list = _with_languages(list(page.object_list))
    topics = list(Topic.objects.only("slug", "name", "parent_id", "order"))
    facets = _facets(params, visible, base, filterset, topics) if valid else []
    suggestions = _suggestions(params, base, facets) if valid and paginator.count == 0 else []
    if query and page.number == 1 and params.get("page", "1") in ("", "1"):
        search_query_log(
            query=query,
            results=paginator.count,
            filters={facet.name: facet.selected.value for facet in facets if facet.selected},
        )
    return ResourceList(
        filterset=filterset,
        page=page,
        facets=facets,
        total=paginator.count,
        query=query,
        sort=sort,
        suggestions=suggestions,
        broad_topics=[topic for topic in topics if topic.parent_id is None],
    )


def sort_options(*, query: str) -> list[tuple[str, str]]:
    """Relevance only means something when there are search words."""
    return [(value, label) for value, label in SORT_CHOICES if query or value != "relevance"]


def _languages_prefetch() -> Prefetch:
    return Prefetch(
        "files", queryset=ResourceFile.objects.only("pk", "resource_id", "language", "order")
    )


def _with_languages(resources: list[Resource]) -> list[Resource]:
    """Each resource gets `languages`: the names of the languages its files are in, in the
    order of the official languages."""
    names = dict(LanguageCode.choices)
    order = list(names)
    for resource in resources:
        codes = {file.language for file in resource.files.all()}
        resource.languages = [
            names[code]
            for code in sorted(codes, key=lambda c: order.index(c) if c in order else 99)
        ]
    return resources


def _filtered(params: QueryDict, base: QuerySet, without: str) -> QuerySet:
    others = params.copy()
    others.pop(without, None)
    others.pop("page", None)
    return ResourceFilter(others, queryset=base).qs.order_by()


def _counts(params: QueryDict, base: QuerySet, name: str) -> dict[str, int]:
    queryset = _filtered(params, base, name)
    key = FACET_FIELDS[name]
    if name == "topic":
        # A broad topic counts the resources tagged with it or with one of its narrower topics.
        rows = list(
            queryset.values(key).annotate(n=Count("pk", distinct=True)).values_list(key, "n")
        )
        rows += list(
            queryset.annotate(group=Coalesce("topics__parent__slug", "topics__slug"))
            .values("group")
            .annotate(n=Count("pk", distinct=True))
            .values_list("group", "n")
        )
        counts: dict[str, int] = {}
        for slug, n in rows:
            counts[slug] = max(counts.get(slug, 0), n)
        return counts
    rows = queryset.values(key).annotate(n=Count("pk", distinct=True)).values_list(key, "n")
    return {str(value): n for value, n in rows if value is not None}


def _facets(
    params: QueryDict,
    visible: QuerySet,
    base: QuerySet,
    filterset: ResourceFilter,
    topics: list[Topic],
) -> list[Facet]:
    selected = {name: params.get(name, "") for name in FACET_FIELDS}
    facets = []

    def facet(name: str, options: list[tuple[str, str, int]]):
        counts = _counts(params, base, name)
        facets.append(
            Facet(
                name=name,
                label=str(filterset.filters[name].label),
                options=[
                    FacetOption(
                        value=value,
                        label=str(label),
                        count=counts.get(value, 0),
                        selected=selected[name] == value,
                        level=level,
                    )
                    for value, label, level in options
                ],
            )
        )

    def choices(name: str) -> list[tuple[str, str, int]]:
        return [(value, label, 0) for value, label in filterset.filters[name].extra["choices"]]

    facet("type", choices("type"))
    facet("topic", _topic_options(topics))
    for name in ("audience", "product_area", "language"):
        facet(name, choices(name))
    # Every year of the visible resources, whatever the search: a chosen year stays in the list.
    years = {
        str(year)
        for year in visible.exclude(publication_year=None)
        .order_by()
        .values_list("publication_year", flat=True)
        .distinct()
    }
    if selected["year"].isdigit():
        years.add(selected["year"])
    facet("year", [(year, year, 0) for year in sorted(years, reverse=True)])
    facet("region", choices("region"))
    return facets


def _topic_options(topics: list[Topic]) -> list[tuple[str, str, int]]:
    children: dict[int | None, list[Topic]] = {}
    for topic in topics:
        children.setdefault(topic.parent_id, []).append(topic)
    options = []
    for parent in children.get(None, []):
        options.append((parent.slug, parent.name, 0))
        options += [(child.slug, child.name, 1) for child in children.get(parent.pk, [])]
    return options


def _suggestions(params: QueryDict, base: QuerySet, facets: list[Facet]) -> list[Suggestion]:
    """For an empty result: how many resources each active filter, removed, would give.
    One count per active filter: at most as many queries as there are facets."""
    suggestions = []
    for facet in facets:
        if not facet.selected:
            continue
        without = params.copy()
        without.pop(facet.name, None)
        without.pop("page", None)
        count = _filtered(params, base, facet.name).count()
        suggestions.append(Suggestion(facet=facet, params=without.urlencode(), count=count))
    return suggestions


# --- One resource -----------------------------------------------------------------------------


@dataclass
class Edition:
    """The files of one language."""

    language: str
    name: str
    files: list[ResourceFile]


@dataclass
class ResourceDetail:
    resource: Resource
    can_open: bool
    # Why the visitor sees the record although the public does not ("" when public).
    preview: str
    editions: list[Edition]
    qa_items: list[QAItem]
    superseded_by: list[Resource]
    supersedes: Resource | None
    events: list
    sessions: list

    @property
    def files(self) -> list[ResourceFile]:
        return [file for edition in self.editions for file in edition.files]

    @property
    def first_public_pdf(self) -> ResourceFile | None:
        if self.resource.access_level != 0:
            return None
        return next((f for f in self.files if f.file and f.mime_type == "application/pdf"), None)


def is_public(resource: Resource, now=None) -> bool:
    now = now or timezone.now()
    return resource.status == Resource.Status.PUBLISHED and not (
        resource.embargo_until and resource.embargo_until > now
    )


def resource_detail(*, slug: str, user) -> ResourceDetail:
    """One resource with everything its page shows, in a fixed number of queries.

    Raises Resource.DoesNotExist when the visitor may not see the record. The Q&A items are
    only read when the visitor may open the content.
    """
    events = Resource._meta.get_field("events").related_model
    sessions = Resource._meta.get_field("sessions").related_model
    resource = (
        _visible(user)
        .defer("search_metadata", "search_full")
        .select_related("supersedes")
        .prefetch_related(
            Prefetch("files", queryset=ResourceFile.objects.defer("extracted_text")),
            "topics",
            "audiences",
            "product_areas",
            "regions",
            Prefetch(
                "superseded_by",
                queryset=_visible(user).only(
                    "pk", "slug", "title", "supersedes_id", "publication_date", "date_precision"
                ),
            ),
            # Repository is the lower layer: events are reached through the reverse relations
            # only, and filtered with plain field lookups.
            Prefetch(
                "events",
                queryset=events.objects.filter(status="published")
                .select_related("programme")
                .order_by("-start"),
            ),
            Prefetch(
                "sessions",
                queryset=sessions.objects.filter(event__status="published")
                .select_related("event")
                .order_by("-start"),
            ),
        )
        .get(slug=slug)
    )
    can_open = resource.can_open_files(user)
    qa_items = list(resource.qa_items.select_related("topic")) if can_open else []
    supersedes = resource.supersedes
    if supersedes is not None and not (user.is_staff or is_public(supersedes)):
        supersedes = None
    return ResourceDetail(
        resource=resource,
        can_open=can_open,
        preview=_preview(resource),
        editions=_editions(list(resource.files.all())),
        qa_items=qa_items,
        superseded_by=list(resource.superseded_by.all()),
        supersedes=supersedes,
        events=list(resource.events.all()),
        sessions=list(resource.sessions.all()),
    )


def _preview(resource: Resource) -> str:
    if resource.status != Resource.Status.PUBLISHED:
        return resource.status
    if resource.is_embargoed:
        return "embargoed"
    return ""


def _editions(files: list[ResourceFile]) -> list[Edition]:
    """The files grouped by language, languages in the order their first file comes."""
    names = dict(LanguageCode.choices)
    editions: dict[str, Edition] = {}
    for file in files:
        edition = editions.setdefault(
            file.language,
            Edition(language=file.language, name=str(names.get(file.language, "")), files=[]),
        )
        edition.files.append(file)
    return list(editions.values())


def access_notice(*, resource: Resource, user) -> str:
    """What stands in place of the files for a visitor who may not open them ("" if they may)."""
    if resource.can_open_files(user):
        return ""
    if not user.is_authenticated:
        return "sign_in"
    return "regulators_only"


# --- Topics -----------------------------------------------------------------------------------


def topic_detail(*, slug: str) -> Topic:
    """The topic with its broader topic and its narrower topics."""
    return (
        Topic.objects.select_related("parent")
        .prefetch_related(
            Prefetch("children", queryset=Topic.objects.only("slug", "name", "parent_id"))
        )
        .get(slug=slug)
    )


def topic_resources(*, topic: Topic, user, page_number=None) -> Page:
    """The resources on the topic or one of its narrower topics, newest first."""
    tagged = Resource.objects.filter(Q(topics=topic) | Q(topics__parent=topic)).values("pk")
    queryset = (
        _visible(user)
        .filter(pk__in=tagged)
        .defer(*CARD_DEFERRED)
        .prefetch_related(_languages_prefetch())
        .order_by(*ORDERINGS["newest"])
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(page_number)
    page.object_list = _with_languages(list(page.object_list))
    return page


def topic_upcoming_events(*, topic: Topic, now=None, limit: int = TOPIC_EVENTS) -> list:
    """Published events on the topic or a narrower one that have not ended, soonest first.

    Events are the upper layer: they are reached through the topic's reverse relation only."""
    now = now or timezone.now()
    events = topic.event_set.model
    tagged = events.objects.filter(Q(topics=topic) | Q(topics__parent=topic)).values("pk")
    return list(
        events.objects.filter(status="published", end__gte=now, pk__in=tagged)
        .select_related("programme")
        .order_by("start")[:limit]
    )


# --- Elsewhere --------------------------------------------------------------------------------


def latest_resources(*, limit: int) -> list[Resource]:
    """The resources most recently made public (home page): one query."""
    return list(
        Resource.objects.published()
        .defer(*CARD_DEFERRED)
        .order_by(_made_public().desc(), "-pk")[:limit]
    )


def _made_public():
    """When a resource became public: its publication on the portal, or the end of its
    embargo if that came later."""
    published = Coalesce("published_at", "created_at")
    return Greatest(published, Coalesce("embargo_until", published))


def feed_resources(*, topic: Topic | None = None, limit: int) -> list[Resource]:
    """The newest public resources for the Atom feeds, all or on a topic (broad topics include
    their narrower ones)."""
    queryset = Resource.objects.published()
    if topic is not None:
        tagged = Resource.objects.filter(Q(topics=topic) | Q(topics__parent=topic)).values("pk")
        queryset = queryset.filter(pk__in=tagged)
    return list(
        queryset.defer("search_metadata", "search_full")
        .annotate(made_public=_made_public())
        .order_by("-made_public", "-pk")[:limit]
    )
