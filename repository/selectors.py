"""Reads of the public repository pages: what a visitor may see, with what each template needs.

Two rules run through every function here (see repository.models):
- a resource record is shown to everyone once published and past its embargo; staff see every
  record, drafts and embargoed ones as previews;
- its content (files, Q&A items, text extracted from the files) only to visitors whose access
  level reaches the resource's; the others get the metadata and a notice.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import reduce

from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Greatest, RowNumber
from django.http import QueryDict
from django.utils import timezone

from accounts.content_languages import Text, page_language, translated, translation_columns
from accounts.facet_index import Bitsets, Filtered, Total, stored_bitsets
from repository.access_requests import access_requests_of_user
from repository.filters import SORT_CHOICES, ResourceFilter
from repository.models import (
    LanguageCode,
    QAItem,
    Resource,
    ResourceFile,
    Topic,
    access_level_of,
)
from repository.search import (
    normalise_query,
    search_any_words,
    search_best_ids,
    search_correction,
    search_count,
    search_filter,
    search_query_log,
    search_rank,
    search_snippet,
)

PAGE_SIZE = 20
# A search whose words are in more resources than this lists the best SEARCH_CAP of them.
SEARCH_CAP = 500
FACET_VISIBILITY_PUBLIC, FACET_VISIBILITY_STAFF = "public", "staff"
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
    count: int | None  # None: not counted
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

    @property
    def visible_options(self) -> list[FacetOption]:
        """The options worth offering: those that give results (or were not counted), and the
        one chosen."""
        return [
            option
            for option in self.options
            if option.count or option.count is None or option.selected
        ]


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
    # The search words are in more than SEARCH_CAP resources: `total` is the SEARCH_CAP best,
    # and the facets have no counts.
    capped: bool = False
    # The words asked for found nothing: `query` is the closest words that the portal knows.
    corrected: bool = False
    # No resource has all the words: `query` asks for any of them.
    some_words: bool = False

    @property
    def active_facets(self) -> list[Facet]:
        return [facet for facet in self.facets if facet.selected]

    @property
    def filters(self) -> dict[str, str]:
        """The active filters, as the search log keeps them."""
        return {facet.name: facet.selected.value for facet in self.active_facets}


def _visible(user) -> QuerySet[Resource]:
    return Resource.objects.visible_to(user)


def search_words(*, params: QueryDict) -> str:
    """The search words of a list's parameters, as the search reads them ("" for none)."""
    return normalise_query(params.get("q", ""))


def resource_list(*, params: QueryDict, user) -> ResourceList:
    """The filtered, searched, sorted and paginated list.

    Each facet counts the resources its options would give together with the search words and
    every *other* active filter. The counts come from the list's bitsets (`resource_bitsets`,
    built once per content version): a few microseconds whatever the filters, no row read but
    the page's. While they are outdated, one statement (see `_count`) counts instead. Either
    way the number of queries never grows with the data.
    """
    params = params.copy()
    query = search_words(params=params)
    sort = params.get("sort", "")
    if sort not in ORDERINGS or (sort == "relevance" and not query):
        sort = "relevance" if query else "newest"
    visible = _visible(user)
    filterset = ResourceFilter(params, queryset=visible)
    valid = filterset.is_valid()
    topics = list(
        Topic.objects.only(
            "slug", "name", "parent_id", "order", *translation_columns(Topic, "name")
        )
    )
    conditions = filterset.conditions() if valid else {}
    found, corrected, some_words = 0, "", False
    if query and valid:
        query, found, corrected, some_words = _searched(visible, query, user)
    bitsets = stored_resource_bitsets(user) if valid and found <= SEARCH_CAP else None
    counted: _Counted | _FromBitsets | None
    if found > SEARCH_CAP:
        # Words found in thousands of documents: the best SEARCH_CAP of those that pass the
        # filters are the list, and the facets give no counts (they would read every match).
        def best(cap: int) -> list[int]:
            return search_best_ids(
                queryset=visible.filter(*conditions.values()),
                query=query,
                user=user,
                ordering=ORDERINGS[sort][1:] if sort == "relevance" else ORDERINGS[sort],
                cap=cap,
            )

        if conditions:
            paginator = Paginator(best(SEARCH_CAP), PAGE_SIZE)
            page = paginator.get_page(params.get("page"))
            ids = list(page.object_list)
        else:
            # All SEARCH_CAP pass: only the best up to the end of the page are read.
            paginator = Paginator(Total(SEARCH_CAP), PAGE_SIZE)
            page = paginator.get_page(params.get("page"))
            ids = best(page.end_index())[page.start_index() - 1 :]
        page.object_list = _page_resources(ids, query, user)
        counted = None
    elif bitsets is not None:
        matched = (
            list(_ordered(visible, query, user, sort).values_list("pk", flat=True))
            if query and found
            else []
        )
        counted = _FromBitsets(
            bitsets,
            bitsets.filter_masks(filterset.active()),
            bitsets.of_ids(matched) if query else bitsets.everything,
        )
        paginator = Paginator(Total(counted.total), PAGE_SIZE)
        page = paginator.get_page(params.get("page"))
        start = (page.number - 1) * PAGE_SIZE
        passing = counted.within()
        if query:
            # At most SEARCH_CAP matches, in the order asked for: those that pass the filters.
            ids = [pk for pk in matched if bitsets.holds(pk, passing)][start : start + PAGE_SIZE]
        elif sort == "newest":
            ids = bitsets.ids_in_order(passing, start, start + PAGE_SIZE)
        else:
            ordered = visible.filter(*conditions.values()).order_by(*ORDERINGS[sort])
            ids = list(ordered.values_list("pk", flat=True)[start : start + PAGE_SIZE])
        page.object_list = _page_resources(ids, query, user)
    else:
        counted = (
            _count(visible, query, user, sort, conditions, _page_offset(params.get("page")))
            if valid
            else _Counted()
        )
        # The statement chose the page by the paginator's rules: the same page as this one.
        paginator = Paginator(Total(counted.total), PAGE_SIZE)
        page = paginator.get_page(params.get("page"))
        page.object_list = _page_resources(counted.page, query, user)
    facets = (
        _facets(params, counted, filterset, topics, _years(counted, visible, query))
        if valid
        else []
    )
    no_results = counted is not None and paginator.count == 0
    suggestions = _suggestions(params, counted, facets) if valid and no_results else []
    return ResourceList(
        filterset=filterset,
        page=page,
        facets=facets,
        total=paginator.count,
        query=query,
        sort=sort,
        suggestions=suggestions,
        broad_topics=[topic for topic in topics if topic.parent_id is None],
        capped=counted is None,
        corrected=bool(corrected),
        some_words=some_words,
    )


def _searched(visible: QuerySet, query: str, user) -> tuple[str, int, str, bool]:
    """What a search looks for in the end, how many resources that finds (up to SEARCH_CAP + 1),
    the corrected words (or "") and whether it fell back to any of the words."""
    found = search_count(queryset=visible, query=query, user=user, cap=SEARCH_CAP)
    corrected, some_words = "", False
    if not found:
        # Nothing has these words: a misspelt one, maybe; the closest words used instead.
        corrected = search_correction(query)
        if corrected:
            query = corrected
            found = search_count(queryset=visible, query=query, user=user, cap=SEARCH_CAP)
    if not found and (any_words := search_any_words(query)):
        # Still nothing has all of them: the resources with some of them, said so.
        query, some_words = any_words, True
        found = search_count(queryset=visible, query=query, user=user, cap=SEARCH_CAP)
    return query, found, corrected, some_words


@dataclass
class SearchPreview:
    """The first resources of a search, for the page that searches the whole portal."""

    query: str  # what was searched for in the end
    total: int  # up to SEARCH_CAP, then `capped`
    capped: bool
    corrected: bool
    some_words: bool
    resources: list[Resource]


def resource_search_preview(*, query: str, user, limit: int) -> SearchPreview:
    visible = _visible(user)
    query, found, corrected, some_words = _searched(visible, normalise_query(query), user)
    ids = (
        search_best_ids(
            queryset=visible, query=query, user=user, ordering=ORDERINGS["relevance"][1:], cap=limit
        )
        if found
        else []
    )
    return SearchPreview(
        query=query,
        total=min(found, SEARCH_CAP),
        capped=found > SEARCH_CAP,
        corrected=bool(corrected),
        some_words=some_words,
        resources=_page_resources(ids, query, user),
    )


def log_search(
    *, params: QueryDict, query: str, total: int, filters: dict[str, str], visitor: str = ""
) -> None:
    """Log a search on its first page, anonymously (see repository.search.search_query_log)."""
    if query and params.get("page", "1") in ("", "1"):
        search_query_log(query=query, results=total, filters=filters, visitor=visitor)


# A page number past the last one gives the last page (as Paginator.get_page does).
_LAST_PAGE = 10**9


def _page_offset(number) -> int:
    """The offset of the page asked for, as Paginator.get_page reads the number: not a number
    is the first page; below 1 or past the end, the last one (the statement puts that right)."""
    try:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError
        number = int(number)
    except (TypeError, ValueError):
        return 0
    if number < 1:
        return _LAST_PAGE
    return min(number - 1, _LAST_PAGE // PAGE_SIZE) * PAGE_SIZE


@dataclass
class _Counted:
    """What the statement of `_count` gives: for each part ("kind_year", a facet on a relation,
    "topic_group") the counts of each value, as one count over the resources that pass every
    active filter, then one for each active filter over those that pass every other one."""

    names: list[str] = field(default_factory=list)  # the active filters, in column order
    rows: dict[str, list[tuple]] = field(default_factory=dict)  # part -> (value, key2, *counts)
    page: list[int] = field(default_factory=list)  # the ids of the page, in order

    def column(self, but: str = "") -> int:
        # A filter given but empty once cleaned (blank words) is not active: nothing to leave out.
        return 2 + (self.names.index(but) + 1 if but in self.names else 0)

    def counts(self, part: str, *, but: str = "", key: int = 0) -> dict[str, int]:
        counts: dict[str, int] = {}
        column = self.column(but)
        for row in self.rows.get(part, []):
            if row[key] is not None:
                counts[row[key]] = counts.get(row[key], 0) + row[column]
        return counts

    def count(self, *, but: str = "") -> int:
        column = self.column(but)
        return sum(row[column] for row in self.rows.get("kind_year", []))

    @property
    def total(self) -> int:
        return self.count()

    def facet_counts(self, name: str, *, but: str, topics: list[Topic]) -> dict[str, int]:
        if name == "type":
            return self.counts("kind_year", but=but)
        if name == "year":
            return self.counts("kind_year", but=but, key=1)
        if name == "topic":
            slugs = {str(topic.pk): topic.slug for topic in topics}
            counts: dict[str, int] = {}
            for part in ("topic", "topic_group"):
                for topic, n in self.counts(part, but=but).items():
                    slug = slugs.get(topic)
                    counts[slug] = max(counts.get(slug, 0), n)
            return counts
        return self.counts(name, but=but)


def _ordered(visible: QuerySet, query: str, user, sort: str) -> QuerySet:
    queryset = search_filter(queryset=visible, query=query, user=user)
    if sort == "relevance":
        queryset = queryset.annotate(rank=search_rank(query=query, user=user))
    return queryset.order_by(*ORDERINGS[sort])


def _count(
    visible: QuerySet,
    query: str,
    user,
    sort: str,
    conditions: dict[str, Q],
    offset: int,
) -> _Counted:
    """One statement: the matching resources (`m`: id, kind, year, place in the order, whether
    each passes each active filter) are found once, then grouped by kind and year, joined to the
    rows that tie them to the values of each facet on a relation, and the page cut from them.

    Only the resources that pass all the active filters but one at most can count in a facet, so
    `m` holds only those."""
    if len(conditions) >= 2:
        visible = visible.filter(
            reduce(
                operator.or_,
                [
                    reduce(operator.and_, [c for other, c in conditions.items() if other != name])
                    for name in conditions
                ],
            )
        )
    names = list(conditions)
    matching = (
        _ordered(visible, query, user, sort)
        .order_by()
        .annotate(
            place=Window(RowNumber(), order_by=ORDERINGS[sort]),
            **{
                f"passes_{name}": ExpressionWrapper(condition, output_field=BooleanField())
                for name, condition in conditions.items()
            },
        )
        .values_list("pk", "kind", "publication_year", "place", *(f"passes_{n}" for n in names))
    )
    matching_sql, matching_params = matching.query.sql_with_params()
    quote = connection.ops.quote_name

    def passing(but: str = "") -> str:
        return " AND ".join(f"m.passes_{name}" for name in names if name != but) or "1 = 1"

    cases = [passing()] + [passing(name) for name in names]

    def rows() -> str:
        return ", ".join(f"SUM(CASE WHEN {case} THEN 1 ELSE 0 END)" for case in cases)

    def table(model) -> str:
        return quote(model._meta.db_table)

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    # Only names of tables and columns, quoted, and constants go into the text (S608 below): the
    # values are parameters.
    text = "CAST(%s AS TEXT)"
    none = "CAST(NULL AS TEXT)"
    parts = [
        f"SELECT 'kind_year', m.kind, {text % 'm.publication_year'}, {rows()} "  # noqa: S608
        "FROM m GROUP BY m.kind, m.publication_year"
    ]
    # Each resource has each topic, audience... once: one tying row is one resource.
    topics_through = Resource.topics.through
    tied = (
        f"FROM {table(topics_through)} AS t JOIN m ON m.pk = t.{column(topics_through, 'resource')}"
    )
    topic_id = f"t.{column(topics_through, 'topic')}"
    parts.append(f"SELECT 'topic', {text % topic_id}, {none}, {rows()} {tied} GROUP BY {topic_id}")
    # A broad topic counts the resources tagged with it or with one of its narrower topics: each
    # resource once (distinct pairs, which a hash gives, rather than COUNT(DISTINCT), a sort).
    passes = "".join(f", m.passes_{name}" for name in names)
    group = f"COALESCE(topic.{column(Topic, 'parent')}, {topic_id})"
    parts.append(
        f"SELECT 'topic_group', {text % 'm.value'}, {none}, {rows()} FROM ("  # noqa: S608
        f"SELECT DISTINCT m.pk{passes}, {group} AS value {tied} "
        f"JOIN {table(Topic)} AS topic ON topic.{column(Topic, 'id')} = {topic_id}"
        ") AS m GROUP BY m.value"
    )
    for name in ("audience", "product_area", "region"):
        through, key = RELATED_FACETS[name]
        relation, value = key.split("__")
        target = through._meta.get_field(relation)
        code = f"v.{column(target.related_model, value)}"
        parts.append(
            f"SELECT '{name}', {code}, {none}, {rows()} FROM {table(through)} AS t "  # noqa: S608
            f"JOIN m ON m.pk = t.{column(through, 'resource')} "
            f"JOIN {table(target.related_model)} AS v "
            f"ON v.{column(target.related_model, 'id')} = t.{quote(target.column)} "
            f"GROUP BY {code}"
        )
    # A resource may have several files in one language.
    language = column(ResourceFile, "language")
    parts.append(
        f"SELECT 'language', m.value, {none}, {rows()} FROM ("  # noqa: S608
        f"SELECT DISTINCT m.pk{passes}, f.{language} AS value FROM {table(ResourceFile)} AS f "
        f"JOIN m ON m.pk = f.{column(ResourceFile, 'resource')}"
        ") AS m GROUP BY m.value"
    )
    # The page: asked for, or the last one when it is past the end. Without an active filter,
    # the place of a resource in `m` is its place in the list.
    last = f"(p.total - 1) / {PAGE_SIZE} * {PAGE_SIZE}"
    start = f"CASE WHEN %s < {last} THEN %s ELSE {last} END"
    zeros = "".join(", 0" for _case in cases[1:])
    ranked = (
        f"(SELECT m.pk, ROW_NUMBER() OVER (ORDER BY m.place) AS place, COUNT(*) OVER () AS total "  # noqa: S608
        f"FROM m WHERE {passing()}) AS p"
        if names
        else "(SELECT m.pk, m.place, (SELECT COUNT(*) FROM m) AS total FROM m) AS p"
    )
    parts.append(
        f"SELECT 'page', {text % 'p.pk'}, {text % start}, p.place{zeros} FROM {ranked} "  # noqa: S608
        f"WHERE p.place > {start} AND p.place <= {start} + {PAGE_SIZE}"
    )
    columns = ", ".join(
        ["pk", "kind", "publication_year", "place", *(f"passes_{n}" for n in names)]
    )
    sql = f"WITH m ({columns}) AS ({matching_sql}) " + " UNION ALL ".join(parts)
    page_params = [offset, offset] * 3
    counted = _Counted(names=names)
    page: list[tuple[int, int]] = []
    # PostgreSQL cannot tell how many resources the search words find (the query is worked out
    # once, see repository.search), guesses a few, and would look each one up in the tying rows
    # through an index: for a common word, ten thousand lookups per facet instead of one hash
    # join. Nested loops are turned off for this statement only (SET LOCAL, in a transaction;
    # within a caller's transaction, put back at once).
    hinted = connection.vendor == "postgresql" and bool(query)
    outer = connection.in_atomic_block
    with transaction.atomic() if hinted else nullcontext(), connection.cursor() as cursor:
        if hinted:
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, [*matching_params, *page_params])
        rows = cursor.fetchall()
        if hinted and outer:
            cursor.execute("RESET enable_nestloop")
    for part, value, key2, *counts in rows:
        if part == "page":
            page.append((int(counts[0]), int(value)))
        else:
            counted.rows.setdefault(part, []).append((value, key2, *map(int, counts)))
    counted.page = [pk for _row_number, pk in sorted(page)]
    return counted


class _FromBitsets(Filtered):
    """The counts of the list from its bitsets, as `_Counted` gives them from SQL."""

    def facet_counts(self, name: str, *, but: str, topics: list[Topic]) -> dict[str, int]:
        return self.bitsets.counts(name, self.within(but))

    def years(self, visible: QuerySet, query: str) -> set[str]:
        years = self.bitsets.values("year")
        if query:
            # The years from the first to the last of the visible resources.
            numbers = [int(year) for year in years]
            return {str(year) for year in range(min(numbers), max(numbers) + 1)} if years else set()
        # The years of what passes every active filter but one at most, as `_count` gives.
        counted = (
            reduce(operator.or_, [self.within(name) for name in self.filters])
            if self.filters
            else self.base
        )
        return {year for year in years if self.bitsets.mask("year", year) & counted}


def _years(counted: _Counted | _FromBitsets | None, visible: QuerySet, query: str) -> set[str]:
    if isinstance(counted, _FromBitsets):
        return counted.years(visible, query)
    # With search words, the years from the first to the last of the visible resources (two
    # reads of an index), whatever the words find: a chosen year stays in the list.
    if query:
        span = visible.order_by().aggregate(
            first=Min("publication_year"), last=Max("publication_year")
        )
        if span["first"] is None:
            return set()
        return {str(year) for year in range(span["first"], span["last"] + 1)}
    rows = counted.rows.get("kind_year", []) if counted is not None else []
    return {year for _kind, year, *_counts in rows if year}


def resource_bitsets_name(user) -> str:
    visibility = FACET_VISIBILITY_STAFF if user.is_staff else FACET_VISIBILITY_PUBLIC
    return f"repository:{visibility}"


def stored_resource_bitsets(user) -> Bitsets | None:
    """The list's bitsets for this visitor (public or staff), if they were built for the current
    content and no embargo has ended since; else None (the list counts for itself, and a new
    build is asked for)."""
    from repository.tasks import facet_counts_refresh_ask

    return stored_bitsets(
        resource_bitsets_name(user), area="repository", ask=facet_counts_refresh_ask
    )


def topic_slugs(tied: Iterable[tuple[int, int]]) -> Iterator[tuple[int, str]]:
    """Each (item, topic id) as (item, slug) of the topic, and for a narrower topic of its broad
    topic too: the items a filter on a broad topic finds (the lists' bitsets)."""
    topics = {topic.pk: topic for topic in Topic.objects.only("slug", "parent_id")}
    for item, topic in tied:
        yield item, topics[topic].slug
        if topics[topic].parent_id is not None:
            yield item, topics[topics[topic].parent_id].slug


def resource_bitsets(*, user) -> Bitsets:
    """The bitsets of the list for this visitor (public or staff): every resource they may see,
    newest first, and for each facet's value the resources that have it. A broad topic has
    the resources of its narrower topics too. Six queries, whatever the filters asked later."""
    rows = list(
        _visible(user).order_by(*ORDERINGS["newest"]).values_list("pk", "kind", "publication_year")
    )

    def related(name: str):
        through, key = RELATED_FACETS[name]
        owner = "resource_id"
        return through.objects.values_list(owner, key).iterator(chunk_size=10000)

    values = {
        "type": ((pk, kind) for pk, kind, _year in rows),
        "year": ((pk, str(year)) for pk, _kind, year in rows if year is not None),
        "topic": topic_slugs(
            Resource.topics.through.objects.values_list("resource_id", "topic_id").iterator(
                chunk_size=10000
            )
        ),
        **{name: related(name) for name in ("audience", "product_area", "language", "region")},
    }
    return Bitsets.build([pk for pk, _kind, _year in rows], values)


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


def _facets(
    params: QueryDict,
    counted: _Counted | _FromBitsets | None,
    filterset: ResourceFilter,
    topics: list[Topic],
    years: set[str],
) -> list[Facet]:
    """The facets and their options; each option with the number of resources it gives, or
    None when that is not counted (`counted` is None: a search capped at SEARCH_CAP)."""
    selected = {name: params.get(name, "") for name in FACETS}
    facets = []

    def facet(name: str, options: list[tuple[str, str, int]]):
        but = name if selected[name] else ""
        counts = None if counted is None else counted.facet_counts(name, but=but, topics=topics)
        facets.append(
            Facet(
                name=name,
                label=str(filterset.filters[name].label),
                options=[
                    FacetOption(
                        value=value,
                        label=str(label),
                        count=None if counts is None else counts.get(value, 0),
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
    years = set(years)
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
        options.append((parent.slug, translated(parent, "name").value, 0))
        options += [
            (child.slug, translated(child, "name").value, 1)
            for child in children.get(parent.pk, [])
        ]
    return options


def _suggestions(params: QueryDict, counted: _Counted, facets: list[Facet]) -> list[Suggestion]:
    """For an empty result: how many resources each active filter, removed, would give."""
    suggestions = []
    for facet in facets:
        if not facet.selected:
            continue
        without = params.copy()
        without.pop(facet.name, None)
        without.pop("page", None)
        count = counted.count(but=facet.name)
        suggestions.append(Suggestion(facet=facet, params=without.urlencode(), count=count))
    return suggestions


# --- One resource -----------------------------------------------------------------------------


@dataclass
class Edition:
    """The files of one language; `title`, what a file without a title of its own is called:
    the resource's title in the edition's language, else the source (in `title.language`)."""

    language: str
    name: str
    files: list[ResourceFile]
    title: Text | None = None


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
    # The files the visitor may open (by their level, or by a grant), whether they may ask for
    # the others, and where their requests stand (file id -> their latest request).
    open_files: frozenset[int] = frozenset()
    may_request: bool = False
    requests: dict = field(default_factory=dict)

    @property
    def files(self) -> list[ResourceFile]:
        return [file for edition in self.editions for file in edition.files]

    @property
    def first_public_pdf(self) -> ResourceFile | None:
        if self.resource.access_level != 0:
            return None
        return next((f for f in self.files if f.file and f.mime_type == "application/pdf"), None)


def resource_record(*, slug: str, user) -> Resource:
    """The resource's record, if the visitor may see it (else Resource.DoesNotExist): what the
    page's title and description need; `resource_detail` reads the rest."""
    return (
        _visible(user).defer("search_metadata", "search_full").select_related("supersedes")
    ).get(slug=slug)


def resource_detail(*, resource: Resource, user) -> ResourceDetail:
    """The resource (from `resource_record`) with everything its page shows, in a fixed number
    of queries. The Q&A items are only read when the visitor may open the content."""
    events = Resource._meta.get_field("events").related_model
    sessions = Resource._meta.get_field("sessions").related_model
    prefetch_related_objects(
        [resource],
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
        # Of the events and sessions, what their links say: the title (in each language), the
        # date and the address.
        Prefetch(
            "events",
            queryset=events.objects.filter(status="published")
            .only("pk", "slug", "start", "title", *translation_columns(events, "title"))
            .order_by("-start"),
        ),
        Prefetch(
            "sessions",
            queryset=sessions.objects.filter(event__status="published")
            .select_related("event")
            .only(
                "pk",
                "start",
                "event_id",
                "title",
                *translation_columns(sessions, "title"),
                "event__slug",
                "event__title",
                *(f"event__{name}" for name in translation_columns(events, "title")),
            )
            .order_by("-start"),
        ),
    )
    can_open = resource.can_open_files(user)
    qa_items = list(resource.qa_items.select_related("topic")) if can_open else []
    files = list(resource.files.all())
    open_files = frozenset(
        file.pk for file in files if can_open or resource.can_open_files(user, file=file)
    )
    may_request = user.is_authenticated and len(open_files) < len(files)
    # Where the person's requests stand, granted ones included, when their level does not
    # open the files.
    requests = (
        access_requests_of_user(user=user, files=[f.pk for f in files])
        if resource_page_is_personal(resource=resource, user=user)
        else {}
    )
    for file in files:
        file.my_request = requests.get(file.pk)
    supersedes = resource.supersedes
    if supersedes is not None and not supersedes.is_visible_to(user):
        supersedes = None
    return ResourceDetail(
        resource=resource,
        can_open=can_open,
        preview=_preview(resource),
        editions=_editions(files, resource),
        qa_items=qa_items,
        superseded_by=list(resource.superseded_by.all()),
        supersedes=supersedes,
        events=list(resource.events.all()),
        sessions=list(resource.sessions.all()),
        open_files=open_files,
        may_request=may_request,
        requests=requests,
    )


def _preview(resource: Resource) -> str:
    if resource.status != Resource.Status.PUBLISHED:
        return resource.status
    if resource.is_embargoed:
        return "embargoed"
    return ""


def _editions(files: list[ResourceFile], resource: Resource) -> list[Edition]:
    """The files grouped by language: the edition in the page's language first (a Spanish page
    offers the Spanish file first), then the others in the order their first file comes."""
    names = dict(LanguageCode.choices)
    editions: dict[str, Edition] = {}
    for file in files:
        edition = editions.setdefault(
            file.language,
            Edition(
                language=file.language,
                name=str(names.get(file.language, "")),
                files=[],
                # Files name Chinese "zh"; the columns, "zh-hans".
                title=translated(
                    resource, "title", "zh-hans" if file.language == "zh" else file.language
                ),
            ),
        )
        edition.files.append(file)
    # The page's language, as files name it: zh-hans is "zh".
    page = page_language().split("-")[0]
    return sorted(editions.values(), key=lambda edition: edition.language != page)


def access_notice(*, resource: Resource, user) -> str:
    """What stands in place of the files for a visitor who may not open them ("" if they may)."""
    if resource.can_open_files(user):
        return ""
    if not user.is_authenticated:
        return "sign_in"
    return "regulators_only"


def resource_page_is_personal(*, resource: Resource, user) -> bool:
    """Whether the page of the resource depends on the visitor themself, not only on their kind:
    a signed-in person whose level does not open the files sees their own grants and requests
    (so that part is never kept for others)."""
    return (
        user.is_authenticated
        and not user.is_staff
        and access_level_of(user) < resource.access_level
    )


# --- Topics -----------------------------------------------------------------------------------


def topic_detail(*, slug: str) -> Topic:
    """The topic with its broader topic and its narrower topics."""
    return (
        Topic.objects.select_related("parent")
        .prefetch_related(
            Prefetch(
                "children",
                queryset=Topic.objects.only(
                    "slug", "name", "parent_id", *translation_columns(Topic, "name")
                ),
            )
        )
        .get(slug=slug)
    )


def _topic_and_narrower(topic: Topic) -> QuerySet[Topic]:
    """The ids of the topic and its narrower topics. Matching tags against these, rather than
    "the tag's topic or the tag's broader topic", keeps the join to the topics out of the
    query: an OR across that join let PostgreSQL choose a plan that read every tag for every
    resource on tables it had no statistics for."""
    return Topic.objects.filter(Q(pk=topic.pk) | Q(parent=topic)).values("pk")


def _tagged(topic: Topic) -> QuerySet:
    """The ids of the resources tagged with the topic or a narrower one, read from the tags."""
    return Resource.topics.through.objects.filter(topic__in=_topic_and_narrower(topic)).values(
        "resource_id"
    )


def topic_resources(*, topic: Topic, user, page_number=None) -> Page:
    """The resources on the topic or one of its narrower topics, newest first."""
    tagged = _tagged(topic)
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
    tagged = events.objects.filter(topics__in=_topic_and_narrower(topic)).values("pk")
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
        tagged = _tagged(topic)
        queryset = queryset.filter(pk__in=tagged)
    return list(
        queryset.defer("search_metadata", "search_full")
        .annotate(made_public=_made_public())
        .order_by("-made_public", "-pk")[:limit]
    )
