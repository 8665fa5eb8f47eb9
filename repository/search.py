"""Full-text search of the knowledge repository.

Two search documents per resource, kept in the database (PostgreSQL): `search_metadata` holds what
anyone may search (title, reference, ISBN, summary, topics, body); `search_full` adds the text
inside the files and the Q&A items. A visitor is matched against `search_full` only for the
resources whose content they may open, and against `search_metadata` for the others, so a word
that only occurs inside a restricted file never finds that file for someone who may not open it.
Snippets follow the same rule: they are cut from the text the visitor may read, nothing else.

On SQLite (local runs, the first test pass) search falls back to plain word matching that finds
the same documents for plain words; the index functions do nothing there.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connection, models
from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Greatest, Substr, Upper
from django.db.models.lookups import Exact
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from repository.models import QAItem, Resource, ResourceFile, access_level_of
from repository.models import SearchQuery as LoggedQuery

CONFIG = "english"
# Snippets are cut from the beginning of long texts only: ts_headline parses all it is given.
MAX_SNIPPET_SOURCE_CHARS = 50_000
SNIPPET_FALLBACK_CHARS = 200
# Exact reference or ISBN matches come before anything else.
EXACT_MATCH_BONUS = 100.0
# Ranks of the weights D, C, B, A (ts_rank_cd's order).
WEIGHTS = [0.1, 0.2, 0.4, 1.0]
MAX_WORDS = 8
MAX_EXACT = 50
MAX_QUERY_CHARS = 200
# Web-style syntax (quotes, OR, minus) asks for exact logic: no typo tolerance then.
_WEB_SYNTAX = re.compile(r'"|(^|\s)-\S|\sor\s', re.IGNORECASE)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- Index ------------------------------------------------------------------------------------

# Every byte of text can become a byte of a lexeme, and a tsvector holds at most 1 MB of them: each
# part of a resource's text is cut to a number of bytes (UTF-8) whose sum stays below that, so
# that no resource can ever make the update fail. The cut drops the last character, whole or
# split: first its continuation bytes, then its lead byte.
_CONTINUATION_BYTES = "\\x" + "".join(f"{byte:02x}" for byte in range(0x80, 0xC0))
_LEAD_BYTES = "\\x" + "".join(f"{byte:02x}" for byte in range(0xC0, 0x100))
MAX_BYTES = {"summary": 50_000, "body": 150_000, "qa": 150_000, "extracted": 600_000}


def _cut(text: str, max_bytes: str | int) -> str:
    """SQL: the non-null text `text` cut to at most `max_bytes` bytes, on a character boundary."""
    cut = f"substring(convert_to({text}, 'UTF8') from 1 for ({max_bytes})::int)"
    return (
        f"convert_from(rtrim(rtrim({cut}, '{_CONTINUATION_BYTES}'::bytea), "
        f"'{_LEAD_BYTES}'::bytea), 'UTF8')"
    )


def _text(expression: str, part: str) -> str:
    """SQL: `expression` without accents, cut to the bytes allowed for `part`."""
    return _cut(f"unaccent(coalesce({expression}, ''))", MAX_BYTES[part])


def _vector(text: str, weight: str) -> str:
    return f"setweight(to_tsvector('{CONFIG}', {text}), '{weight}')"


_TOPIC_NAMES = """(SELECT string_agg(t.name, ' ')
    FROM repository_resource_topics rt JOIN repository_topic t ON t.id = rt.topic_id
    WHERE rt.resource_id = r.id)"""
_QA_TEXT = """(SELECT string_agg(q.question || ' ' || q.answer, ' ' ORDER BY q.number)
    FROM repository_qaitem q WHERE q.resource_id = r.id)"""
# Each file (a language edition, mostly) gets an equal share of the bytes, so that a long first
# edition cannot crowd out the others.
_EXTRACTED_TEXT = f"""(SELECT string_agg(
      {_cut("unaccent(f.extracted_text)", f"{MAX_BYTES['extracted']} / f.files")}, ' '
      ORDER BY f."order", f.language, f.id)
    FROM (SELECT id, "order", language, extracted_text, count(*) OVER () AS files
          FROM repository_resourcefile WHERE resource_id = r.id) AS f)"""  # noqa: S608

_DOCUMENTS_SQL = f"""
SELECT r.id,
  {_vector("unaccent(concat_ws(' ', r.title, r.reference_number, r.isbn))", "A")}
  || {_vector(_text("r.summary", "summary"), "B")}
  || {_vector(f"unaccent(coalesce({_TOPIC_NAMES}, ''))", "B")}
  || {_vector(_text("r.body", "body"), "C")} AS metadata,
  {_vector(_text(_QA_TEXT, "qa"), "B")}
  || {_vector(_cut(f"coalesce({_EXTRACTED_TEXT}, '')", MAX_BYTES["extracted"]), "D")} AS content
FROM repository_resource r
"""  # noqa: S608 (constants only; ids are passed as a parameter)

_UPDATE_SQL = f"""
UPDATE repository_resource AS target
SET search_metadata = d.metadata, search_full = d.metadata || d.content
FROM ({_DOCUMENTS_SQL} {{where}}) AS d
WHERE target.id = d.id
"""  # noqa: S608


def resource_search_index_update(*, resource_ids: Iterable[int]) -> None:
    """Recompute the search documents of these resources, in one statement.

    Call it after any change of a resource, its files (extracted text), Q&A items or topics.
    Does nothing on SQLite.
    """
    ids = sorted({int(pk) for pk in resource_ids})
    if not ids or not _is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL.format(where="WHERE r.id = ANY(%s)"), [ids])


def search_index_rebuild() -> int:
    """Recompute the search documents of every resource; returns how many were updated."""
    if not _is_postgres():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL.format(where=""))
        return cursor.rowcount


# --- Query ------------------------------------------------------------------------------------


def normalise_query(query: str) -> str:
    """Whitespace collapsed, at most MAX_QUERY_CHARS characters (case kept: search ignores it)."""
    return " ".join((query or "").split())[:MAX_QUERY_CHARS]


def _reference_key(value: str) -> str:
    """'WHO TRS 1044, Annex 4' and 'trs 1044 annex 4' give the same key; so do ISBNs with or
    without hyphens."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    value = re.sub(r"[^A-Z0-9]", "", value)
    return value.removeprefix("WHO")


class _ReferenceKey(Func):
    """_reference_key() in SQL, for a column."""

    template = (
        "regexp_replace(regexp_replace(upper(unaccent(%(expressions)s)), '[^A-Z0-9]', '', 'g'), "
        "'^WHO', '')"
    )
    output_field = models.CharField()


class _Snippet(models.TextField):
    """Highlighted text from the database as safe HTML: the text is escaped as a whole, then the
    random markers that ts_headline put around matches become <mark> tags. Stored markup can
    never come out live; a marker cannot be forged since it is new for every search."""

    def __init__(self, *args, start: str = "", stop: str = "", **kwargs):
        self.start, self.stop = start, stop
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection) -> SafeString:
        html = escape(value or "")
        if self.start:
            html = html.replace(self.start, "<mark>").replace(self.stop, "</mark>")
        return mark_safe(html)  # noqa: S308 (escaped just above)


def search_resources(*, queryset: QuerySet[Resource], query: str, user) -> QuerySet[Resource]:
    """The resources of `queryset` that match `query`, annotated with `rank` and `snippet`.

    Content (files, Q&A) is matched and quoted only for resources the visitor may open.
    """
    query = normalise_query(query)
    return annotate_search(
        queryset=search_filter(queryset=queryset, query=query, user=user), query=query, user=user
    )


def search_filter(*, queryset: QuerySet[Resource], query: str, user) -> QuerySet[Resource]:
    """Only the matching resources, without rank nor snippet (for counting facets)."""
    query = normalise_query(query)
    if not query:
        return queryset
    if _is_postgres():
        return queryset.filter(_pg_match(query, access_level_of(user)))
    return _sqlite_filter(queryset, query, access_level_of(user))


def annotate_search(*, queryset: QuerySet[Resource], query: str, user) -> QuerySet[Resource]:
    query = normalise_query(query)
    if _is_postgres():
        return _pg_annotate(queryset, query, access_level_of(user))
    return _sqlite_annotate(queryset, query)


# PostgreSQL ---------------------------------------------------------------------------------


def _tsquery(query: str) -> SearchQuery:
    return SearchQuery(
        Func(Value(query), function="unaccent"), config=CONFIG, search_type="websearch"
    )


def _typo_tolerant(query: str) -> bool:
    return len(query) >= 4 and not _WEB_SYNTAX.search(query)


def _upper_query(query: str):
    return Upper(Func(Value(query), function="unaccent"))


def _pg_match(query: str, level: int) -> Q:
    tsquery = _tsquery(query)
    match = Q(access_level__lte=level, search_full=tsquery) | Q(
        access_level__gt=level, search_metadata=tsquery
    )
    if _typo_tolerant(query):
        match |= TrigramWordSimilar(Upper("title"), _upper_query(query))
        match |= TrigramWordSimilar(Upper("reference_number"), _upper_query(query))
    key = _reference_key(query)
    if len(key) >= 3:
        # Looked up first, so that every branch of the match can use an index (a bitmap OR):
        # the normalised reference has none.
        exact = Resource.objects.filter(
            _key_equals("reference_number", key) | _key_equals("isbn", key)
        ).values_list("pk", flat=True)[:MAX_EXACT]
        match |= Q(pk__in=list(exact))
    return match


def _key_equals(field: str, key: str) -> Exact:
    return Exact(_ReferenceKey(field), Value(key))


def _pg_annotate(queryset: QuerySet[Resource], query: str, level: int) -> QuerySet[Resource]:
    if not query:
        return queryset.annotate(
            rank=Value(0.0, output_field=FloatField()),
            snippet=ExpressionWrapper(
                Substr("summary", 1, SNIPPET_FALLBACK_CHARS), output_field=_Snippet()
            ),
        )
    tsquery = _tsquery(query)
    may_open = Q(access_level__lte=level)
    vector = Case(
        When(may_open, then=F("search_full")),
        default=F("search_metadata"),
        output_field=SearchVectorField(),
    )
    rank = SearchRank(vector, tsquery, weights=WEIGHTS, cover_density=True)
    if _typo_tolerant(query):
        rank = rank + Greatest(
            TrigramWordSimilarity(_upper_query(query), Upper("title")),
            TrigramWordSimilarity(_upper_query(query), Upper("reference_number")),
        )
    key = _reference_key(query)
    if len(key) >= 3:
        rank = rank + Case(
            When(
                _key_equals("reference_number", key) | _key_equals("isbn", key),
                then=Value(EXACT_MATCH_BONUS),
            ),
            default=Value(0.0),
            output_field=FloatField(),
        )
    token = secrets.token_hex(8)
    start, stop = f"lpamark{token}start", f"lpamark{token}stop"
    headline = SearchHeadline(
        Case(
            When(may_open, then=_full_text()),
            default=_metadata_text(),
            output_field=models.TextField(),
        ),
        tsquery,
        config=CONFIG,
        start_sel=start,
        stop_sel=stop,
        max_fragments=2,
    )
    return queryset.annotate(
        rank=ExpressionWrapper(rank, output_field=FloatField()),
        snippet=ExpressionWrapper(headline, output_field=_Snippet(start=start, stop=stop)),
    )


def _metadata_text():
    return Concat("summary", Value("\n"), "body", output_field=models.TextField())


def _full_text():
    qa = (
        QAItem.objects.filter(resource=OuterRef("pk"))
        .order_by()
        .values("resource")
        .annotate(
            text=StringAgg(
                Concat("question", Value(" "), "answer", output_field=models.TextField()),
                " ",
                order_by="number",
            )
        )
        .values("text")
    )
    extracted = (
        ResourceFile.objects.filter(resource=OuterRef("pk"))
        .order_by()
        .values("resource")
        .annotate(text=StringAgg("extracted_text", " ", order_by=("order", "language", "id")))
        .values("text")
    )
    return Substr(
        Concat(
            _metadata_text(),
            Value("\n"),
            Coalesce(Subquery(qa), Value(""), output_field=models.TextField()),
            Value("\n"),
            Coalesce(Subquery(extracted), Value(""), output_field=models.TextField()),
            output_field=models.TextField(),
        ),
        1,
        MAX_SNIPPET_SOURCE_CHARS,
    )


# SQLite -------------------------------------------------------------------------------------


def _words(query: str) -> list[str]:
    return [word.strip('"') for word in query.split()[:MAX_WORDS] if word.strip('"')]


def _sqlite_filter(queryset: QuerySet[Resource], query: str, level: int) -> QuerySet[Resource]:
    for word in _words(query):
        content = Resource.objects.filter(
            Q(qa_items__question__icontains=word)
            | Q(qa_items__answer__icontains=word)
            | Q(files__extracted_text__icontains=word)
        ).values("pk")
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(reference_number__icontains=word)
            | Q(isbn__icontains=word)
            | Q(summary__icontains=word)
            | Q(body__icontains=word)
            | Q(pk__in=Resource.objects.filter(topics__name__icontains=word).values("pk"))
            | Q(access_level__lte=level, pk__in=content)
        )
    return queryset


def _sqlite_annotate(queryset: QuerySet[Resource], query: str) -> QuerySet[Resource]:
    in_title = Q()
    for word in _words(query):
        in_title &= Q(title__icontains=word)
    return queryset.annotate(
        rank=Case(When(in_title, then=Value(1.0)), default=Value(0.0), output_field=FloatField()),
        snippet=ExpressionWrapper(
            Substr("summary", 1, SNIPPET_FALLBACK_CHARS), output_field=_Snippet()
        ),
    )


# --- Log --------------------------------------------------------------------------------------


def search_query_log(*, query: str, results: int, filters: dict) -> LoggedQuery | None:
    """Keep what was searched, for editors to see what people look for: the normalised words,
    the number of results and the filters, nothing about who searched. Empty queries are not
    kept."""
    normalised = normalise_query(query).lower()
    if not normalised:
        return None
    return LoggedQuery.objects.create(
        query=normalised,
        results=results,
        filters={key: str(value)[:100] for key, value in filters.items() if value},
    )
