"""Search quality: real WHO guidance records and the queries people type, scored.

`make bench-relevance` runs it on PostgreSQL (a throwaway cluster) and on SQLite (a temporary
file). It migrates an empty database, loads the records of bench/relevance.json (real titles,
reference numbers and years from WHO's publication lists), then asks the repository's list for
each query as a visitor would (repository.selectors.resource_list, the code behind
/en/resources/?q=..., or /fr/resources/?q=... for a query in French) and checks that one of
the expected records is among the first three. It prints a table and the score, and exits
non-zero below 29 of 30 (the share the search must reach). tests/repository/test_relevance.py
keeps a smaller set as regression tests.
"""

import json
import math
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = json.loads((ROOT / "bench" / "relevance.json").read_text())
if "DATABASE_URL" not in os.environ:
    # SQLite: a temporary file, migrated afresh.
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='lpa-relevance-')}/db.sqlite3"

import inprocess  # noqa: E402,F401  (Django set up for in-process benchmarks)

# isort: split
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from repository.models import Resource, Topic  # noqa: E402
from repository.search import search_index_rebuild  # noqa: E402
from repository.selectors import resource_list  # noqa: E402

REQUIRED_SHARE = 29 / 30


def load_records(records: list[dict]) -> dict[str, str]:
    """The records as published resources; returns slug -> key."""
    keys = {}
    for record in records:
        resource = Resource.objects.create(
            title=record["title"],
            slug=slugify(record["key"]),
            kind="guidance",
            summary=record["summary"],
            reference_number=record["reference"],
            publication_date=date(record["year"], 1, 1),
            date_precision="year",
            status="published",
            published_at=timezone.now(),
            **{
                f"{field}_{language}": text
                for language, fields in record.get("translations", {}).items()
                for field, text in fields.items()
            },
        )
        for name in record["topics"]:
            topic, _ = Topic.objects.get_or_create(slug=slugify(name), defaults={"name": name})
            resource.topics.add(topic)
        keys[resource.slug] = record["key"]
    search_index_rebuild()
    return keys


def top_three(query: str, keys: dict[str, str], language: str = "en") -> list[str]:
    params = QueryDict(mutable=True)
    params["q"] = query
    with translation.override(language):
        result = resource_list(params=params, user=AnonymousUser())
        return [keys[resource.slug] for resource in result.page.object_list[:3]]


def main() -> int:
    call_command("migrate", verbosity=0)
    keys = load_records(DATA["records"])
    rows, passed = [], 0
    for case in DATA["queries"]:
        found = top_three(case["query"], keys, case.get("language", "en"))
        ok = any(key in found for key in case["expect"])
        passed += ok
        rows.append((case["kind"], case["query"], ", ".join(case["expect"]), ", ".join(found), ok))
    total = len(rows)
    required = math.ceil(total * REQUIRED_SHARE)
    print(f"Search relevance on {connection.vendor}: {len(DATA['records'])} WHO records")
    print()
    print("| kind | query | expected (one of) | first three found | |")
    print("|---|---|---|---|---|")
    for kind, query, expected, found, ok in rows:
        verdict = "ok" if ok else "MISSED"
        print(f"| {kind} | `{query}` | {expected} | {found or '(nothing)'} | {verdict} |")
    print()
    print(
        f"Score: {passed} of {total} queries find an expected record in the first three "
        f"(required: {required})."
    )
    return 0 if passed >= required else 1


if __name__ == "__main__":
    sys.exit(main())
