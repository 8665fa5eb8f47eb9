"""The PostgreSQL indexes that some reads rely on are the ones their queries can use."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from repository.selectors import latest_resources
from tests.factories import ResourceFactory


def _plan(sql: str, *, sorted_by_index: bool = False) -> str:
    with connection.cursor() as cursor:
        # A few rows only: without this, reading the whole table is cheaper than any index,
        # and so is sorting them.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if sorted_by_index:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_the_latest_resources_are_read_from_the_made_public_index(db):
    # Enough rows, analysed, that the plan does not hang on whatever statistics autovacuum
    # left from earlier tests' data (with three rows estimated at one, a sort costs nothing).
    ResourceFactory.create_batch(200)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE repository_resource")
    with CaptureQueriesContext(connection) as queries:
        assert len(latest_resources(limit=3)) == 3
    (query,) = queries.captured_queries
    plan = _plan(query["sql"])
    assert "repository_resource_made_public" in plan
    assert "Sort" not in plan  # read in order, up to the limit


@pytest.mark.postgres
def test_the_list_without_search_words_reads_the_newest_index(client, db):
    ResourceFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("repository:list")).status_code == 200
    statement = next(query["sql"] for query in queries if query["sql"].startswith("WITH m "))
    plan = _plan(statement, sorted_by_index=True)
    assert "using repository_resource_newest" in plan


@pytest.mark.postgres
def test_a_search_leaves_the_planner_settings_as_they_were(client, db):
    ResourceFactory.create_batch(3, title="Validation of cleaning")
    assert client.get(reverse("repository:list"), {"q": "validation"}).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_nestloop")
        assert cursor.fetchone() == ("on",)
