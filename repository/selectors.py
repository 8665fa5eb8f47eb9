"""Reads of the public repository pages: what a visitor may see, with what each template needs.

Two rules run through every function here (see repository.models):
- a resource record is shown to everyone once published and past its embargo; staff see every
  record, drafts and embargoed ones as previews;
- its content (files, Q&A items, text extracted from the files) only to visitors whose access
  level reaches the resource's; the others get the metadata and a notice.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Func, Prefetch, Q, QuerySet
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
    normalise_query,
    search_filter,
    search_query_log,
    search_rank,
    search_snippet,
)

PAGE_SIZE = 20
TOPIC_EVENTS = 10

FACETS = ["type", "topic", "audience", "product_area", "language", "year", "region"]
# facet on a relation -> the rows that tie a resource to its values, and the value counted
RELATED_FACETS = {
    "topic": (Resource.topics.through, "topic"),
    "audience": (Resource.audiences.through, "audience__code"),
    "product_area": (Resource.product_areas.through, "productarea__code"),
    "language": (ResourceFile, "language"),
    "region": (Resource.regions.through, "region__code"),
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

    One query finds the visible resources that match the search words, in the order shown, with
    what the facets need: their type, year and which active filters each one passes. The page,
    the total and every facet are worked out from that list: each facet counts the resources
    its options would give together with the search words and every *other* active filter (one
    grouped query for each facet on a relation), so the number of queries never grows with the
    data. A search on the first page is logged, anonymously.
    """
    params = params.copy()
    query = normalise_query(params.get("q", ""))
    sort = params.get("sort", "")
    if sort not in ORDERINGS or (sort == "relevance" and not query):
        sort = "relevance" if query else "newest"
    visible = _visible(user)
    filterset = ResourceFilter(params, queryset=visible)
    valid = filterset.is_valid()
    found = _found(visible, query, user, sort, filterset.conditions()) if valid else _Found()
    shown = found.passing()
    paginator = Paginator([row[0] for row in shown], PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    page.object_list = _page_resources(list(page.object_list), query, user)
    topics = list(Topic.objects.only("slug", "name", "parent_id", "order"))
    facets = _facets(params, visible, query, found, filterset, topics) if valid else []
    suggestions = _suggestions(params, found, facets) if valid and paginator.count == 0 else []
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


@dataclass
class _Found:
    """The visible resources that match the search words, in the order shown, as rows
    (pk, kind, publication_year), each with the names of the active filters it fails."""

    rows: list[tuple] = field(default_factory=list)
    failing: list[frozenset[str]] | None = None  # None: no active filter
    _among: dict = field(default_factory=dict)

    def passing(self, *, but: str = "") -> list[tuple]:
        """The rows that pass every active filter, or every one but `but`."""
        if self.failing is None:
            return self.rows
        return [
            row
            for row, failed in zip(self.rows, self.failing, strict=True)
            if not failed or failed == {but}
        ]

    def among(self, *, but: str = "") -> _AmongIds | None:
        """The condition `resource_id` is one of passing(but=but) (None when there are none):
        worked out once for all the facets that count over the same resources."""
        if but not in self._among:
            pks = [row[0] for row in self.passing(but=but)]
            self._among[but] = _AmongIds("resource_id", pks) if pks else None
        return self._among[but]


def _found(visible: QuerySet, query: str, user, sort: str, conditions: dict[str, Q]) -> _Found:
    queryset = search_filter(queryset=visible, query=query, user=user)
    if sort == "relevance":
        queryset = queryset.annotate(rank=search_rank(query=query, user=user))
    passes = {
        f"passes_{name}": ExpressionWrapper(condition, output_field=BooleanField())
        for name, condition in conditions.items()
    }
    rows = list(
        queryset.annotate(**passes)
        .order_by(*ORDERINGS[sort])
        .values_list("pk", "kind", "publication_year", *passes)
    )
    if not conditions:
        return _Found(rows=rows)
    names = list(conditions)
    failing = [
        frozenset(name for name, passed in zip(names, row[3:], strict=True) if not passed)
        for row in rows
    ]
    return _Found(rows=[row[:3] for row in rows], failing=failing)


def _page_resources(pks: list[int], query: str, user) -> list[Resource]:
    """The resources of one page, in this order, with what their cards show."""
    if not pks:
        return []
    queryset = (
        Resource.objects.filter(pk__in=pks)
        .order_by()
        .defer(*CARD_DEFERRED)
        .prefetch_related(_languages_prefetch())
    )
    if query:
        queryset = queryset.annotate(snippet=search_snippet(query=query, user=user))
    resources = {resource.pk: resource for resource in queryset}
    return _with_languages([resources[pk] for pk in pks])


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


class _AmongIds(Func):
    """`expression` is one of `ids`, given as one parameter however many there are: a query
    with an IN list of 10,000 parameters is slow to send and to plan."""

    output_field = BooleanField()
    template = "%(expressions)s IN (SELECT value FROM json_each(%%s))"

    def __init__(self, expression: str, ids: list[int]):
        super().__init__(F(expression))
        self.ids = ids
        # Shared by the copies that each query makes: the text is built once.
        self.texts: dict[str, str] = {}

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        if "json" not in self.texts:
            self.texts["json"] = json.dumps(self.ids)
        return sql, (*params, self.texts["json"])

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "%(expressions)s = ANY(%%s::bigint[])"
        sql, params = super().as_sql(compiler, connection, template=template, **extra_context)
        if "array" not in self.texts:
            self.texts["array"] = "{" + ",".join(map(str, self.ids)) + "}"
        return sql, (*params, self.texts["array"])


def _related_counts(name: str, among: _AmongIds | None, topics: list[Topic]) -> dict[str, int]:
    """How many of some resources have each value of a facet on a relation, counted from the
    rows that tie them to their values (no join through the resources)."""
    if among is None:
        return {}
    model, key = RELATED_FACETS[name]
    rows = model.objects.filter(among).order_by()
    # A resource may have several files in one language, but each topic, audience... once.
    counted = Count("resource_id", distinct=True) if name == "language" else Count("pk")
    if name != "topic":
        counts = rows.values(key).annotate(n=counted).values_list(key, "n")
        return {str(value): n for value, n in counts if value is not None}
    # A broad topic counts the resources tagged with it or with one of its narrower topics.
    slugs = {topic.pk: topic.slug for topic in topics}
    counts: dict[str, int] = {}
    for topic, n in [
        *rows.values("topic").annotate(n=counted).values_list("topic", "n"),
        *rows.annotate(group=Coalesce("topic__parent", "topic"))
        .values("group")
        .annotate(n=Count("resource_id", distinct=True))
        .values_list("group", "n"),
    ]:
        slug = slugs.get(topic)
        counts[slug] = max(counts.get(slug, 0), n)
    return counts


def _facets(
    params: QueryDict,
    visible: QuerySet,
    query: str,
    found: _Found,
    filterset: ResourceFilter,
    topics: list[Topic],
) -> list[Facet]:
    selected = {name: params.get(name, "") for name in FACETS}
    facets = []

    def facet(name: str, options: list[tuple[str, str, int]]):
        but = name if selected[name] else ""
        if name == "type":
            counts = Counter(row[1] for row in found.passing(but=but))
        elif name == "year":
            counts = Counter(str(row[2]) for row in found.passing(but=but) if row[2] is not None)
        else:
            counts = _related_counts(name, found.among(but=but), topics)
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
    if query:
        years = {
            str(year)
            for year in visible.exclude(publication_year=None)
            .order_by()
            .values_list("publication_year", flat=True)
            .distinct()
        }
    else:
        years = {str(row[2]) for row in found.rows if row[2] is not None}
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


def _suggestions(params: QueryDict, found: _Found, facets: list[Facet]) -> list[Suggestion]:
    """For an empty result: how many resources each active filter, removed, would give."""
    suggestions = []
    for facet in facets:
        if not facet.selected:
            continue
        without = params.copy()
        without.pop(facet.name, None)
        without.pop("page", None)
        count = len(found.passing(but=facet.name))
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
