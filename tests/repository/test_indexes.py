"""The PostgreSQL indexes that some reads rely on are the ones their queries can use."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from repository.selectors import latest_resources
from tests.factories import ResourceFactory


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # A few rows only: without this, reading the whole table is cheaper than any index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_the_latest_resources_are_read_from_the_made_public_index(db):
    ResourceFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        assert len(latest_resources(limit=3)) == 3
    (query,) = queries.captured_queries
    plan = _plan(query["sql"])
    assert "repository_resource_made_public" in plan
    assert "Sort" not in plan  # read in order, up to the limit
