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

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryField,
    SearchVector,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.core.cache import cache
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
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, Substr, Upper
from django.db.models.lookups import Exact
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.ratelimits import Limit
from repository.models import QAItem, Resource, ResourceFile, access_level_of
from repository.models import SearchQuery as LoggedQuery

CONFIG = "english"
# Snippets are cut from the beginning of long texts only: ts_headline parses all it is given.
MAX_SNIPPET_SOURCE_CHARS = 50_000
SNIPPET_FALLBACK_CHARS = 200
# Exact reference or ISBN matches come before anything else.
EXACT_MATCH_BONUS = 100.0
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
        updated = cursor.rowcount
    return updated


# --- Query ------------------------------------------------------------------------------------
#
# On PostgreSQL a search is answered from indexes (migrations 0004 and 0005), not by reading the
# search documents: they are stored compressed, and unpacking one takes a few microseconds, which
# for every one of 10,000 matching resources would take longer than a page may. Hence:
# - the query is worked out once per statement (`_Once`). unaccent() is only STABLE: written as a
#   plain expression, PostgreSQL would run it, and parse the query, for every row. As a value
#   computed once, the planner cannot guess from it how common the words are, and it reads the
#   indexes, which hold all it needs, rather than every row;
# - every branch of the match is a condition that one index answers by itself (the access level
#   is indexed with the search documents), so no row has to be rechecked;
# - the rank says where in the record the words are (title, summary, body, files), which indexes
#   answer too, instead of scoring the text of every matching document with ts_rank_cd.


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
    """_reference_key() in SQL, for a column: the indexed function of migration 0005 (upper,
    unaccent, only letters and digits, without a leading WHO)."""

    function = "repository_reference_key"
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


def search_rank(*, query: str, user):
    """How well a resource matches `query` (higher first), as an expression for the resources
    that search_filter() keeps.

    On PostgreSQL: an exact reference number or ISBN first; then by where all the words are: in
    the title, reference or ISBN, in the summary or topics, in the body, or only in the files
    and Q&A items the visitor may open. A resource found only by typo tolerance ranks after
    those, by how close its title or reference is to the query.
    """
    query = normalise_query(query)
    if not query:
        return Value(0.0, output_field=FloatField())
    if _is_postgres():
        return _pg_rank(query, access_level_of(user))
    return _sqlite_rank(query)


def search_snippet(*, query: str, user):
    """The text to show under a result, with the words found marked (safe HTML), as an
    expression: meant for the few resources of a page (ts_headline reads the whole text).

    It is cut from text the visitor may read: the summary and body, or for a resource whose
    content they may open and whose summary and body lack the words, from the content too.
    """
    query = normalise_query(query)
    if query and _is_postgres():
        return _pg_snippet(query, access_level_of(user))
    return ExpressionWrapper(Substr("summary", 1, SNIPPET_FALLBACK_CHARS), output_field=_Snippet())


def annotate_search(*, queryset: QuerySet[Resource], query: str, user) -> QuerySet[Resource]:
    return queryset.annotate(
        rank=search_rank(query=query, user=user), snippet=search_snippet(query=query, user=user)
    )


# PostgreSQL ---------------------------------------------------------------------------------

# What a match is worth, by the first of these parts of the record that holds all the words
# (weights A, B, C of the search documents, then D and the Q&A items, which only search_full
# has). A resource found by typo tolerance alone comes last, by how close its title or
# reference number is to the query.
TITLE_WORTH = 1.0  # title, reference number, ISBN
SUMMARY_WORTH = 0.4  # summary, topics
RECORD_WORTH = 0.2  # body
CONTENT_WORTH = 0.1  # files and Q&A items the visitor may open


class _Once(Func):
    """`(SELECT expression)`: worked out once per statement (a PostgreSQL InitPlan)."""

    template = "(SELECT %(expressions)s)"


class _Matches(Func):
    """`vector @@ query`."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = models.BooleanField()


class _Lexemes(Func):
    """The lexemes of a search document that have these weights (ts_filter), as indexed."""

    function = "ts_filter"
    template = "%(function)s(%(expressions)s, '{%(weights)s}')"
    output_field = SearchVectorField()


class _AnyOf(Func):
    """`expression = ANY(ARRAY(subquery))`: unlike `IN (subquery)`, a condition that an index of
    the expression answers, also as one branch of an OR."""

    output_field = models.BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        expression, subquery = self.get_source_expressions()
        sql, params = compiler.compile(expression)
        subquery_sql, subquery_params = compiler.compile(subquery)
        return f"{sql} = ANY(ARRAY{subquery_sql})", (*params, *subquery_params)


def _tsquery(query: str, *, phrases: bool = True):
    tsquery = SearchQuery(
        Func(Value(query), function="unaccent"), config=CONFIG, search_type="websearch"
    )
    if not phrases:
        tsquery = _WithoutPhrases(tsquery)
    return _Once(tsquery, output_field=SearchQueryField())


class _WithoutPhrases(Func):
    """The query with its phrases ("cold chain", hold-time) as words that must all occur,
    anywhere: an index answers that alone, while the order of words needs every candidate
    document read. Lexemes are quoted in a tsquery's text, the operators are not."""

    template = "regexp_replace(%(expressions)s::text, '<(-|[0-9]+)>', '&', 'g')::tsquery"
    output_field = SearchQueryField()


def _typo_tolerant(query: str) -> bool:
    return len(query) >= 4 and not _WEB_SYNTAX.search(query)


def _upper_query(query: str):
    return _Once(Upper(Func(Value(query), function="unaccent")), output_field=models.TextField())


def _level(level: int):
    # The column's own type, which the indexes with the access level are for.
    return Cast(Value(level), models.SmallIntegerField())


def _found_by_words(tsquery, level: int) -> Q:
    """The words are in the full document of a resource whose content the visitor may open, or
    in the metadata of another one."""
    return (Q(access_level__lte=_level(level)) & Q(_Matches(F("search_full"), tsquery))) | (
        Q(access_level__gt=_level(level)) & Q(_Matches(F("search_metadata"), tsquery))
    )


def _exact(query: str) -> QuerySet | None:
    """The resources whose reference number or ISBN is the query's (None if it cannot be)."""
    key = _reference_key(query)
    if len(key) < 3:
        return None
    return Resource.objects.filter(
        Exact(_ReferenceKey("reference_number"), Value(key))
        | Exact(_ReferenceKey("isbn"), Value(key))
    ).values("pk")[:MAX_EXACT]


def _close(query: str) -> QuerySet:
    """The resources whose title or reference number is close to the query (a typo)."""
    return (
        Resource.objects.filter(
            Q(TrigramWordSimilar(Upper("title"), _upper_query(query)))
            | Q(TrigramWordSimilar(Upper("reference_number"), _upper_query(query)))
        )
        .order_by()
        .values("pk")
    )


def _pg_match(query: str, level: int) -> Q:
    match = _found_by_words(_tsquery(query), level)
    if _typo_tolerant(query):
        # Looked up apart: the trigram indexes only narrow the candidates down, which are then
        # compared one by one, and in a single scan with the other branches that comparison
        # would read their search documents too.
        match |= Q(_AnyOf(F("pk"), Subquery(_close(query))))
    exact = _exact(query)
    if exact is not None:
        match |= Q(_AnyOf(F("pk"), Subquery(exact)))
    return match


def _pg_rank(query: str, level: int):
    # Where the words are is what counts here, not whether they form the phrases asked for:
    # the match has checked that.
    tsquery = _tsquery(query, phrases=False)

    def among(condition) -> Q:
        # A hashed set of ids, which an index gives, rather than a test of every row's document.
        return Q(pk__in=Resource.objects.filter(condition).values("pk"))

    typo = Value(0.0)
    if _typo_tolerant(query):
        typo = CONTENT_WORTH * Greatest(
            TrigramWordSimilarity(_upper_query(query), Upper("title")),
            TrigramWordSimilarity(_upper_query(query), Upper("reference_number")),
        )
    rank = Case(
        When(among(_Matches(_Lexemes("search_metadata", weights="a"), tsquery)), then=TITLE_WORTH),
        When(
            among(_Matches(_Lexemes("search_metadata", weights="a,b"), tsquery)),
            then=SUMMARY_WORTH,
        ),
        When(among(_Matches(F("search_metadata"), tsquery)), then=RECORD_WORTH),
        When(
            among(Q(access_level__lte=_level(level)) & Q(_Matches(F("search_full"), tsquery))),
            then=CONTENT_WORTH,
        ),
        default=typo,
        output_field=FloatField(),
    )
    exact = _exact(query)
    if exact is not None:
        rank = rank + Case(
            When(pk__in=exact, then=EXACT_MATCH_BONUS), default=0.0, output_field=FloatField()
        )
    return ExpressionWrapper(rank, output_field=FloatField())


def _pg_snippet(query: str, level: int):
    tsquery = _tsquery(query)
    token = secrets.token_hex(8)
    start, stop = f"lpamark{token}start", f"lpamark{token}stop"
    # ts_headline parses all the text it is given: the content only when the words are in it
    # but not in the summary and body already (the part of them that the full text would
    # quote). Without the words (found by typo tolerance) both begin the same.
    in_metadata_text = Q(
        _Matches(
            SearchVector(Substr(_metadata_text(), 1, MAX_SNIPPET_SOURCE_CHARS), config=CONFIG),
            tsquery,
        )
    )
    in_content = Q(access_level__lte=level) & Q(_Matches(F("search_full"), tsquery))
    headline = SearchHeadline(
        Case(
            When(in_content & ~in_metadata_text, then=_full_text()),
            default=_metadata_text(),
            output_field=models.TextField(),
        ),
        tsquery,
        config=CONFIG,
        start_sel=start,
        stop_sel=stop,
        max_fragments=2,
    )
    return ExpressionWrapper(headline, output_field=_Snippet(start=start, stop=stop))


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


def _sqlite_rank(query: str):
    in_title = Q()
    for word in _words(query):
        in_title &= Q(title__icontains=word)
    return Case(When(in_title, then=Value(1.0)), default=Value(0.0), output_field=FloatField())


# --- Log --------------------------------------------------------------------------------------


# A visitor's search is kept once an hour, and at most this many of a visitor's searches an hour,
# so that nobody can fill the editors' report of what people search for.
SEARCH_LOG_REPEAT_SECONDS = 60 * 60
SEARCH_LOG_PER_VISITOR = Limit("search-log", limit=30, seconds=60 * 60)


def search_query_log(
    *, query: str, results: int, filters: dict, visitor: str = ""
) -> LoggedQuery | None:
    """Keep what was searched, for editors to see what people look for: the normalised words,
    the number of results and the filters, nothing about who searched. Empty queries are not
    kept. With `visitor` (`accounts.ratelimits.visitor_key`), the same search by the same
    visitor is kept once an hour, and a visitor's searches beyond the limit are not kept; while
    the shared cache is unreachable, nothing from visitors is kept."""
    normalised = normalise_query(query).lower()
    if not normalised:
        return None
    if visitor and not _search_log_admits(visitor, normalised, filters):
        return None
    return LoggedQuery.objects.create(
        query=normalised,
        results=results,
        filters={key: str(value)[:100] for key, value in filters.items() if value},
    )


def _search_log_admits(visitor: str, query: str, filters: dict) -> bool:
    seen = hashlib.sha256(f"{visitor}\n{query}\n{sorted(filters.items())}".encode()).hexdigest()
    try:
        first = cache.add(f"search-log:{seen}", 1, SEARCH_LOG_REPEAT_SECONDS)
    except Exception:
        return False
    return first and SEARCH_LOG_PER_VISITOR.hit(visitor)
