"""Full-text search of the knowledge repository.

Two search documents per resource, kept in the database (PostgreSQL): `search_metadata` holds what
anyone may search (title, reference, ISBN, summary, topics, body); `search_full` adds the text
inside the files and the Q&A items. A visitor is matched against `search_full` only for the
resources whose content they may open, and against `search_metadata` for the others, so a word
that only occurs inside a restricted file never finds that file for someone who may not open it.
Snippets follow the same rule: they are cut from the text the visitor may read, nothing else.

The translations of titles, summaries and topics are in the documents too, each stemmed with its
language's text-search configuration (`LANGUAGE_CONFIGS`), and a search on a page in a language
looks for its words both in English and in that language: a French query on a French page finds
the French title. Chinese, written without spaces and with no stemmer in PostgreSQL, is indexed
and searched as overlapping pairs of characters (`simple`), so that a word inside a Chinese title
is found.

On SQLite (local runs, the first test pass) search falls back to plain word matching that finds
the same documents for plain words, in the source and the page's language; the index functions
do nothing there.
"""

from __future__ import annotations

import hashlib
import operator
import re
import secrets
import unicodedata
from collections.abc import Iterable
from difflib import get_close_matches
from functools import lru_cache, reduce

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryField,
    SearchVectorField,
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
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    Substr,
)
from django.db.models.lookups import Contains, Exact
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.cache import content_versions
from accounts.content_languages import TRANSLATION_LANGUAGES, column, page_language
from accounts.ratelimits import Limit
from repository.models import (
    QAItem,
    Resource,
    ResourceFile,
    SynonymGroup,
    access_level_of,
    content_open_condition,
)
from repository.models import SearchQuery as LoggedQuery

CONFIG = "english"
# Each language's text-search configuration: Snowball stemmers (Arabic's since PostgreSQL 15);
# Chinese has none, its text is indexed as pairs of characters (`cjk_bigrams`).
LANGUAGE_CONFIGS = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "ar": "arabic",
    "ru": "russian",
    "zh-hans": "simple",
}
CHINESE = "zh-hans"
# Snippets are cut from the beginning of long texts only: ts_headline parses all it is given.
MAX_SNIPPET_SOURCE_CHARS = 50_000
# What ts_headline parses for a result's snippet, and how much of it comes before the words.
SNIPPET_SOURCE_CHARS = 1_500
SNIPPET_LEAD_CHARS = 300
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
MAX_BYTES = {
    "summary": 50_000,
    "body": 150_000,
    "qa": 150_000,
    "extracted": 550_000,
    # Each translated summary (five of them).
    "translation": 8_000,
}


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


def _vector(text: str, weight: str, config: str = CONFIG) -> str:
    return f"setweight(to_tsvector('{config}', {text}), '{weight}')"


def _translated_vector(expression: str, language: str, weight: str, part: str = "") -> str:
    """SQL: the vector of a translation, with its language's configuration; Chinese as pairs of
    characters, beside its words (the Latin acronyms in a Chinese title)."""
    text = f"unaccent(coalesce({expression}, ''))"
    if part:
        text = _cut(text, MAX_BYTES[part])
    if language == CHINESE:
        return _vector(f"{text} || ' ' || repository_cjk_bigrams({text})", weight, "simple")
    return _vector(text, weight, LANGUAGE_CONFIGS[language])


def _translations_vector() -> str:
    """SQL: the titles, summaries and topics of a resource in each translation language."""
    parts = []
    for language in TRANSLATION_LANGUAGES:
        title, summary, name = (column(f, language) for f in ("title", "summary", "name"))
        topics = _TOPIC_NAMES.replace("t.name", f"t.{name}")
        parts += [
            _translated_vector(f"r.{title}", language, "A"),
            _translated_vector(f"r.{summary}", language, "B", "translation"),
            _translated_vector(topics, language, "B"),
        ]
    return "\n  || ".join(parts)


def cjk_bigrams(text: str) -> str:
    """The runs of Chinese characters of `text` as overlapping pairs ("数据完整性" gives "数据 据完
    完整 整性"; a lone character stays itself): how Chinese is indexed and searched, the same as
    the SQL function `repository_cjk_bigrams` (migration 0014)."""
    pairs = []
    for run in _CJK_RUN.findall(text or ""):
        pairs += [run[i : i + 2] for i in range(max(len(run) - 1, 1))]
    return " ".join(pairs)


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


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
  || {_vector(_text("r.body", "body"), "C")}
  || {_translations_vector()} AS metadata,
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


# The vocabulary of spelling suggestions: the words (unaccented, lower case, letters only, four
# or more) of the titles and summaries of public resources, nothing that the public cannot read.
_PUBLIC = "r.status = 'published' AND (r.embargo_until IS NULL OR r.embargo_until <= now())"
_VOCABULARY_SQL = """
SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('simple',
    unaccent(concat_ws(' ', r.title, r.summary))) FROM repository_resource r WHERE {where}$$)
WHERE length(word) BETWEEN 4 AND 100 AND word ~ '^[a-z]+$'
"""
_VOCABULARY_INSERT = "INSERT INTO repository_searchword (word, documents) "
_VOCABULARY_PUBLIC_SQL = _VOCABULARY_SQL.format(where=_PUBLIC)
VOCABULARY_REBUILD_SQL = (
    "DELETE FROM repository_searchword; " + _VOCABULARY_INSERT + _VOCABULARY_PUBLIC_SQL  # noqa: S608
)
_VOCABULARY_ADD_SQL = (
    _VOCABULARY_INSERT
    + _VOCABULARY_SQL.format(where=f"{_PUBLIC} AND r.id IN ({{ids}})")
    + " ON CONFLICT (word) DO NOTHING"
)


def resource_search_index_update(*, resource_ids: Iterable[int]) -> None:
    """Recompute the search documents of these resources, in one statement, and add their new
    words to the vocabulary of suggestions.

    Call it after any change of a resource, its files (extracted text), Q&A items or topics.
    Does nothing on SQLite.
    """
    ids = sorted({int(pk) for pk in resource_ids})
    if not ids or not _is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL.format(where="WHERE r.id = ANY(%s)"), [ids])
        # Integers only, written into the text of ts_stat's query (it takes no parameters).
        cursor.execute(_VOCABULARY_ADD_SQL.format(ids=",".join(str(pk) for pk in ids)))


def search_index_rebuild() -> int:
    """Recompute the search documents of every resource, and the vocabulary of suggestions
    (which then forgets the words of resources no longer public); returns how many resources
    were updated."""
    if not _is_postgres():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL.format(where=""))
        updated = cursor.rowcount
        cursor.execute(VOCABULARY_REBUILD_SQL)
    return updated


def search_correction(query: str) -> str:
    """The query with each word that no public title or summary uses replaced by the closest
    one that does (trigram similarity), or "" when nothing needs correcting or could be."""
    query = normalise_query(query)
    if not _is_postgres() or _WEB_SYNTAX.search(query):
        return ""
    words = [word for word in query.split() if len(word) >= 4 and word.isalpha()]
    if not words:
        return ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (q) q, v.word FROM unnest(%s::text[]) AS q "
            "JOIN repository_searchword v ON v.word %% lower(unaccent(q)) "
            "ORDER BY q, similarity(v.word, lower(unaccent(q))) DESC, v.documents DESC, v.word",
            [words],
        )
        best = dict(cursor.fetchall())
    corrected = [
        best.get(word, word) if best.get(word) != _plain(word) else word for word in query.split()
    ]
    changed = [a for a, b in zip(corrected, query.split(), strict=True) if a != b]
    return " ".join(corrected) if changed else ""


def search_any_words(query: str) -> str:
    """The query asking for any of its words rather than all ("" for one word, or a query with
    web syntax, whose logic was asked for)."""
    query = normalise_query(query)
    words = query.split()
    if len(words) < 2 or _WEB_SYNTAX.search(query):
        return ""
    return " or ".join(words)


def _plain(word: str) -> str:
    """A word as the vocabulary holds it: lower case, without accents."""
    text = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return text.lower()


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
        return queryset.filter(_pg_match(query, user))
    return _sqlite_filter(queryset, query, user)


def search_count(*, queryset: QuerySet[Resource], query: str, user, cap: int) -> int:
    """How many resources of `queryset` have the search words, counted up to `cap + 1` only:
    the count of a word in every document would read them all."""
    matching = search_filter(queryset=queryset, query=query, user=user)
    return matching.order_by().values("pk")[: cap + 1].count()


def search_best_ids(
    *, queryset: QuerySet[Resource], query: str, user, ordering: tuple, cap: int
) -> list[int]:
    """The ids of the first `cap` resources of `queryset` that have the search words, in the
    order of `search_rank` then `ordering` (ties). For a query found in thousands of documents:
    the rank is by where the words are, so the best are taken tier by tier (an exact reference
    number, the title, the summary, the record, the content), each from its own index, and no
    tier below is read once `cap` are found."""
    query = normalise_query(query)
    if not _is_postgres():
        ranked = search_filter(queryset=queryset, query=query, user=user).annotate(
            rank=search_rank(query=query, user=user)
        )
        return list(ranked.order_by("-rank", *ordering).values_list("pk", flat=True)[:cap])
    exact = _exact(query)
    tiers = [Q(pk__in=exact)] if exact is not None else []
    tiers += [condition for condition, _worth in _tiers(query, user)]
    # The words must all be there, as the query asks (phrases and exclusions included).
    matching = search_filter(queryset=queryset, query=query, user=user).order_by()
    found: list[int] = []
    for tier in tiers:
        more = matching.filter(tier).exclude(pk__in=found).order_by(*ordering)
        found += list(more.values_list("pk", flat=True)[: cap - len(found)])
        if len(found) >= cap:
            break
    return found


def search_rank(*, query: str, user):
    """How well a resource matches `query` (higher first), as an expression for the resources
    that search_filter() keeps.

    On PostgreSQL: an exact reference number or ISBN first; then by where all the words are: in
    the title, reference or ISBN, in the summary or topics, in the body, or only in the files
    and Q&A items the visitor may open. (Misspelt words are corrected before the search, see
    `search_correction`.)
    """
    query = normalise_query(query)
    if not query:
        return Value(0.0, output_field=FloatField())
    words = _alternative_words(query)
    if len(words) > 1:
        # Any of the words: the more of them, and the better placed, the better.
        return reduce(operator.add, [search_rank(query=word, user=user) for word in words])
    if _is_postgres():
        return _pg_rank(query, user)
    return _sqlite_rank(query)


def _alternative_words(query: str) -> list[str]:
    """The words of a query of the form "a or b or c" (what `search_any_words` makes), else []."""
    if '"' in query or re.search(r"(^|\s)-\S", query):
        return []
    parts = re.split(r"\s+or\s+", query, flags=re.IGNORECASE)
    if len(parts) < 2 or any(" " in part.strip() for part in parts):
        return []
    return [part.strip() for part in parts if part.strip()]


def search_snippet(*, query: str, user):
    """The text to show under a result, with the words found marked (safe HTML), as an
    expression: meant for the few resources of a page (ts_headline reads the whole text).

    It is cut from text the visitor may read: the summary and body, or for a resource whose
    content they may open and whose summary and body lack the words, from the content too.
    """
    query = normalise_query(query)
    if query and _is_postgres():
        return _pg_snippet(query, user)
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
# A match of synonyms or another spelling is worth this share of the same match of the words.
EXPANSION_WORTH = 0.9


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


def _tsquery(query: str, *, phrases: bool = True, expand: bool = False):
    """The query as a tsquery, worked out once per statement. With `expand`, each word or
    phrase of it that has synonyms or another spelling may be any of them (see `expansions`);
    None when `expand` is asked for and nothing can be expanded."""
    units = expansions(query) if expand else None
    if expand and units is None:
        return None
    if units is not None:
        # The words of a synonym anywhere in the document, not as a phrase: an index answers
        # that alone, while a phrase needs the document of every candidate read.
        kind = "plain"
        combined = reduce(
            operator.and_,
            [
                reduce(
                    operator.or_,
                    [
                        SearchQuery(
                            Func(Value(term), function="unaccent"), config=CONFIG, search_type=kind
                        )
                        for term in unit
                    ],
                )
                for unit in units
            ],
        )
        in_language = _in_page_language(query, "plain")
        if in_language is not None:
            combined |= in_language
        return _Once(combined, output_field=SearchQueryField())
    tsquery = SearchQuery(
        Func(Value(query), function="unaccent"), config=CONFIG, search_type="websearch"
    )
    in_language = _in_page_language(query, "websearch")
    if in_language is not None:
        tsquery |= in_language
    if not phrases:
        tsquery = _WithoutPhrases(tsquery)
    return _Once(tsquery, output_field=SearchQueryField())


def _in_page_language(query: str, search_type: str) -> SearchQuery | None:
    """The query as the page's language reads it (its stemmer; pairs of characters for
    Chinese), to be found beside the English reading; None on an English page."""
    language = page_language()
    if language == CHINESE:
        pairs = cjk_bigrams(query)
        return SearchQuery(Value(pairs), config="simple", search_type="plain") if pairs else None
    config = LANGUAGE_CONFIGS.get(language, CONFIG)
    if config == CONFIG:
        return None
    unaccented = Func(Value(query), function="unaccent")
    return SearchQuery(unaccented, config=config, search_type=search_type)


# --- Synonyms and spellings -------------------------------------------------------------------

# British and American spellings that stemming keeps apart (sterilisation, sterilization).
_SPELLINGS = [
    (re.compile(r"is(e|es|ed|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"iz(e|es|ed|ing|ation|ations)$"), r"is\1"),
    (re.compile(r"ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"yz(e|es|ed|ing)$"), r"ys\1"),
    (re.compile(r"our(s?)$"), r"or\1"),
    (re.compile(r"([^aeiou])or(s?)$"), r"\1our\2"),
    (re.compile(r"([bt])re(s?)$"), r"\1er\2"),
    (
        re.compile(r"^(paed|haem|oed|oest)"),
        lambda m: m.group(1).replace("a", "").replace("o", "", 1),
    ),
]
MAX_TERM_WORDS = 6


def _tokens(text: str) -> list[str]:
    """Lower case, no accents, hyphens as spaces, no surrounding punctuation."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [
        token.strip(".,;:()[]")
        for token in plain.replace("-", " ").split()
        if token.strip(".,;:()[]")
    ]


def spellings(word: str) -> list[str]:
    """The word and its other spellings (British and American), as far as the rules know."""
    variants = [word]
    lower = word.lower()
    for pattern, replacement in _SPELLINGS:
        other = pattern.sub(replacement, lower)
        if other != lower and other not in variants and len(other) >= 4:
            variants.append(other)
    return variants


def _synonym_index() -> dict[tuple[str, ...], list[str]]:
    """The synonyms that staff keep (SynonymGroup), by the tokens of each term; kept in this
    process for the current content version of the repository (the admin of synonyms renews
    it), read afresh while that version cannot be known."""
    version = content_versions()["repository"]
    if version is None:
        return _read_synonym_index()
    return _synonym_index_of(version)


@lru_cache(maxsize=4)
def _synonym_index_of(version: int) -> dict[tuple[str, ...], list[str]]:
    return _read_synonym_index()


def _read_synonym_index() -> dict[tuple[str, ...], list[str]]:
    index: dict[tuple[str, ...], list[str]] = {}
    for group in SynonymGroup.objects.all():
        terms = group.term_list()
        for term in terms:
            key = tuple(_tokens(term))
            if key:
                index.setdefault(key, [])
                index[key] += [t for t in terms if t not in index[key]]
    return index


def expansions(query: str) -> list[list[str]] | None:
    """The query as a list of units (a word, or the words of a known term), each with what it
    may also be: its synonyms and other spellings; None when no unit has any, or the query uses
    web syntax (quotes, OR, minus: exact logic asked for)."""
    query = normalise_query(query)
    if not query or _WEB_SYNTAX.search(query):
        return None
    words = [word for word in query.split() if _tokens(word)]
    tokens = [" ".join(_tokens(word)) for word in words]
    flat: list[tuple[str, int]] = []  # each token with the index of its word
    for index, token in enumerate(tokens):
        flat += [(part, index) for part in token.split()]
    synonyms = _synonym_index()
    units: list[list[str]] = []
    expanded = False
    position = 0
    while position < len(flat):
        for length in range(min(MAX_TERM_WORDS, len(flat) - position), 0, -1):
            key = tuple(token for token, _word in flat[position : position + length])
            if key in synonyms:
                units.append(synonyms[key])
                expanded = True
                position += length
                break
        else:
            token = flat[position][0]
            variants = spellings(token)
            expanded |= len(variants) > 1
            units.append(variants)
            position += 1
    return units if expanded else None


class _WithoutPhrases(Func):
    """The query with its phrases ("cold chain", hold-time) as words that must all occur,
    anywhere: an index answers that alone, while the order of words needs every candidate
    document read. Lexemes are quoted in a tsquery's text, the operators are not."""

    template = "regexp_replace(%(expressions)s::text, '<(-|[0-9]+)>', '&', 'g')::tsquery"
    output_field = SearchQueryField()


def _content_open(user) -> Q:
    """The resources whose content the visitor may open (`Resource.can_open_files`: their
    access level, or staff's grants), with the level in the column's own type, which the
    indexes with the access level are for."""
    level = Cast(Value(access_level_of(user)), models.SmallIntegerField())
    return content_open_condition(user, level)


def _found_by_words(tsquery, user) -> Q:
    """The words are in the full document of a resource whose content the visitor may open, or
    in the metadata of another one."""
    content_open = _content_open(user)
    return (content_open & Q(_Matches(F("search_full"), tsquery))) | (
        ~content_open & Q(_Matches(F("search_metadata"), tsquery))
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


def _matching_tsquery(query: str):
    """What a resource must have: the words, or their synonyms and other spellings."""
    return _tsquery(query, expand=True) or _tsquery(query)


def _tiers(query: str, user) -> list[tuple[Q, float]]:
    """Where the words may be, best first, each with its worth: the title (with the reference
    number and ISBN), the summary and topics, the record, the content the visitor may open.
    A match of synonyms or another spelling comes just after the same match of the words."""
    found = [_tsquery(query, phrases=False)]
    expanded = _tsquery(query, phrases=False, expand=True)
    if expanded is not None:
        found.append(expanded)
    places = [
        (lambda q: Q(_Matches(_Lexemes("search_metadata", weights="a"), q)), TITLE_WORTH),
        (lambda q: Q(_Matches(_Lexemes("search_metadata", weights="a,b"), q)), SUMMARY_WORTH),
        (lambda q: Q(_Matches(F("search_metadata"), q)), RECORD_WORTH),
        (
            lambda q: _content_open(user) & Q(_Matches(F("search_full"), q)),
            CONTENT_WORTH,
        ),
    ]
    return [
        (place(tsquery), worth * (1.0 if index == 0 else EXPANSION_WORTH))
        for place, worth in places
        for index, tsquery in enumerate(found)
    ]


def _pg_match(query: str, user) -> Q:
    match = _found_by_words(_matching_tsquery(query), user)
    exact = _exact(query)
    if exact is not None:
        match |= Q(_AnyOf(F("pk"), Subquery(exact)))
    return match


def _pg_rank(query: str, user):
    # Where the words are is what counts here, not whether they form the phrases asked for:
    # the match has checked that.

    def among(condition) -> Q:
        # A hashed set of ids, which an index gives, rather than a test of every row's document.
        return Q(pk__in=Resource.objects.filter(condition).values("pk"))

    rank = Case(
        *[When(among(condition), then=worth) for condition, worth in _tiers(query, user)],
        default=Value(0.0),
        output_field=FloatField(),
    )
    exact = _exact(query)
    if exact is not None:
        rank = rank + Case(
            When(pk__in=exact, then=EXACT_MATCH_BONUS), default=0.0, output_field=FloatField()
        )
    return ExpressionWrapper(rank, output_field=FloatField())


def _pg_snippet(query: str, user):
    tsquery = _matching_tsquery(query)
    token = secrets.token_hex(8)
    start, stop = f"lpamark{token}start", f"lpamark{token}stop"
    # ts_headline parses all the text it is given, at a cost that grows quickly with its length:
    # it gets the summary and body (cut), or, when the words are only in the content that the
    # visitor may open, a window of that content around where the first word first occurs.
    in_content_only = (
        _content_open(user)
        & Q(_Matches(F("search_full"), tsquery))
        & ~Q(_Matches(F("search_metadata"), tsquery))
    )
    headline = SearchHeadline(
        Case(
            When(in_content_only, then=_Window(_full_text(), _probe(query))),
            default=Substr(_metadata_text(), 1, SNIPPET_SOURCE_CHARS),
            output_field=models.TextField(),
        ),
        tsquery,
        config=CONFIG,
        start_sel=start,
        stop_sel=stop,
        max_fragments=1,
        max_words=30,
        min_words=15,
    )
    return ExpressionWrapper(headline, output_field=_Snippet(start=start, stop=stop))


def _probe(query: str) -> str:
    """What to look for in a text to find where the search words are: the start of the first
    word (its stem, about), in lower case."""
    words = [w.strip('"') for w in query.split() if w.strip('"') and not w.startswith("-")]
    words = [w for w in words if w.lower() != "or"]
    return words[0][:5].lower() if words else ""


class _Window(Func):
    """About SNIPPET_SOURCE_CHARS of a text, from a little before the first place of `probe`
    (the beginning when it is not there): the text, a long expression, is compiled once."""

    output_field = models.TextField()

    def __init__(self, text, probe: str):
        super().__init__(text)
        self.probe = probe

    def as_sql(self, compiler, connection, **extra_context):
        text, params = compiler.compile(self.source_expressions[0])
        begin = f"greatest(strpos(lower(w.text), %s) - {SNIPPET_LEAD_CHARS}, 1)"
        # Only the compiled text and constants go into the statement; the probe is a parameter.
        return (
            f"(SELECT substr(w.text, {begin}, {SNIPPET_SOURCE_CHARS}) "  # noqa: S608
            f"FROM (SELECT {text} AS text) AS w)",
            [self.probe, *params],
        )


class _Joined(Func):
    """`CONCAT(a, b...)`: the texts one after the other, a NULL as nothing. One SQL function,
    where Django's Concat compiles nested pairs, each with its COALESCE (a cost that grows with
    the parts, paid for every search)."""

    function = "CONCAT"
    output_field = models.TextField()


def _metadata_text():
    return _Joined("summary", Value("\n"), "body")


def _full_text():
    qa = (
        QAItem.objects.filter(resource=OuterRef("pk"))
        .order_by()
        .values("resource")
        .annotate(
            text=StringAgg(
                _Joined("question", Value(" "), "answer"),
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
        _Joined(
            "summary",
            Value("\n"),
            "body",
            Value("\n"),
            Subquery(qa),
            Value("\n"),
            Subquery(extracted),
        ),
        1,
        MAX_SNIPPET_SOURCE_CHARS,
    )


# SQLite -------------------------------------------------------------------------------------


def _words(query: str) -> list[str]:
    return [word.strip('"') for word in query.split()[:MAX_WORDS] if word.strip('"')]


def fold(text: str) -> str:
    """Text as the SQLite search compares it: lower case, without accents, hyphens as spaces
    (registered as the SQL function `portal_fold` on SQLite connections, see repository.apps)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    # The marks only: Arabic, Chinese, Cyrillic and Greek letters stay.
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.lower().replace("-", " ")


class _Fold(Func):
    function = "portal_fold"
    output_field = models.TextField()


def text_contains(field: str, word: str) -> Q:
    """`field` holds `word` whatever the case and accents (and, on SQLite, hyphens): the plain
    match that lists of few rows use (events), on both databases."""
    if _is_postgres():
        return Q(**{f"{field}__unaccent__icontains": word})
    return Q(Contains(_Fold(field), Value(fold(word))))


def search_units(query: str) -> list[list[str]]:
    """What a plain search of a few rows looks for: each word of the query (or the words of a
    known term) with its synonyms, other spellings and, for a word that no public title uses,
    the closest words that some do (on SQLite; PostgreSQL corrects a query that finds nothing,
    see `search_correction`); all units must match. A query "a or b" is one unit."""
    version = content_versions()["repository"]
    if version is None:
        return _search_units(query)
    # A list asks for them once for itself and once for each of its facets.
    return [list(unit) for unit in _search_units_of(query, version)]


@lru_cache(maxsize=256)
def _search_units_of(query: str, version: int) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(unit) for unit in _search_units(query))


def _search_units(query: str) -> list[list[str]]:
    if _is_postgres():
        if re.search(r"\sor\s", query, re.IGNORECASE):
            words = [w for w in _words(query) if w.lower() != "or"]
            return [[variant for word in words for variant in spellings(word)]]
        return expansions(query) or [[word] for word in _words(query)]
    return _sqlite_units(query)


def _sqlite_units(query: str) -> list[list[str]]:
    """Each word of the query (or the words of a known term) with what it may also be: its
    synonyms, its other spellings and, for a word no public title or summary uses, the closest
    words that some do (the demo's typo tolerance; PostgreSQL corrects from its vocabulary)."""
    if re.search(r"\sor\s", query, re.IGNORECASE):
        # Any of the words (a fallback of the list, or asked for).
        words = [w for w in _words(query) if w.lower() != "or"]
        units = [[variant for word in words for variant in spellings(word)]]
    else:
        units = expansions(query) or [[word] for word in _words(query)]
    vocabulary = _sqlite_vocabulary()
    units = [unit for unit in units if any(fold(term).split() for term in unit)]
    for unit in units:
        for term in list(unit):
            word = fold(term)
            if " " not in word and len(word) >= 4 and word not in vocabulary:
                unit += get_close_matches(word, vocabulary, n=2, cutoff=0.8)
    return units


def _sqlite_vocabulary() -> list[str]:
    version = content_versions()["repository"]
    return _read_sqlite_vocabulary() if version is None else _sqlite_vocabulary_of(version)


@lru_cache(maxsize=2)
def _sqlite_vocabulary_of(version: int) -> list[str]:
    return _read_sqlite_vocabulary()


def _read_sqlite_vocabulary() -> list[str]:
    words: set[str] = set()
    for title, summary in Resource.objects.published().values_list("title", "summary"):
        words.update(word for word in re.findall(r"[a-z]+", fold(f"{title} {summary}")))
    return sorted(word for word in words if len(word) >= 4)


def _sqlite_has(term: str, user) -> Q:
    """The folded words of `term` are all in the resource's record, or in the content that the
    visitor may open."""
    condition = Q()
    for word in fold(term).split():
        content = Resource.objects.annotate(
            question=_Fold("qa_items__question"),
            answer=_Fold("qa_items__answer"),
            text=_Fold("files__extracted_text"),
        ).filter(Q(question__contains=word) | Q(answer__contains=word) | Q(text__contains=word))
        # Topics by their names in English and in the page's language.
        topics = Resource.objects.annotate(topic=_Fold(_with_translation("topics__name"))).filter(
            topic__contains=word
        )
        condition &= (
            Q(f_title__contains=word)
            | Q(f_reference__contains=word)
            | Q(isbn__icontains=word)
            | Q(f_summary__contains=word)
            | Q(f_body__contains=word)
            | Q(pk__in=topics.values("pk"))
            | (content_open_condition(user) & Q(pk__in=content.values("pk")))
        )
    return condition


def _with_translation(field: str):
    """The source text and its translation in the page's language, as one text (`field` may
    follow a relation: `topics__name`)."""
    language = page_language()
    if language not in TRANSLATION_LANGUAGES:
        return F(field)
    translation = Coalesce(column(field, language), Value(""), output_field=models.TextField())
    return Concat(field, Value(" "), translation, output_field=models.TextField())


def _sqlite_filter(queryset: QuerySet[Resource], query: str, user) -> QuerySet[Resource]:
    queryset = queryset.annotate(
        f_title=_Fold(_with_translation("title")),
        f_reference=_Fold("reference_number"),
        f_summary=_Fold(_with_translation("summary")),
        f_body=_Fold("body"),
    )
    for unit in search_units(query):
        queryset = queryset.filter(reduce(operator.or_, [_sqlite_has(term, user) for term in unit]))
    return queryset


def _sqlite_rank(query: str):
    """The title first, then the summary, then anywhere in the record."""

    def all_in(field: str) -> Q:
        condition = Q()
        for unit in search_units(query):
            condition &= reduce(
                operator.or_,
                [
                    reduce(
                        operator.and_,
                        [Q(Contains(_Fold(field), Value(w))) for w in fold(term).split()],
                        Q(),
                    )
                    for term in unit
                ],
            )
        return condition

    in_title, in_summary = all_in(_with_translation("title")), all_in(_with_translation("summary"))
    if not in_title:  # nothing to compare (a query of punctuation only)
        return Value(RECORD_WORTH, output_field=FloatField())
    return Case(
        When(in_title, then=Value(TITLE_WORTH)),
        When(in_summary, then=Value(SUMMARY_WORTH)),
        default=Value(RECORD_WORTH),
        output_field=FloatField(),
    )


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
