"""Response time of the staff reports on PostgreSQL with the benchmark data.

Run: `make bench-reports`, i.e.
`.venv/bin/python -m tests.pgcluster -- .venv/bin/python bench/report_latency.py`.
It migrates the throwaway database, loads `seed_bulk` at its default scale (200,000
registrations, 500,000 downloads), then requests each report in-process as a superuser (Django's
test client, the whole middleware stack, no network) and prints the median and slowest of five
requests and the SQL queries of one.
"""

import os
import statistics
import sys
import time

import inprocess  # noqa: F401  (Django set up for in-process benchmarks)

# isort: split
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from events.models import Event, Programme

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
DIVIDE = int(os.environ.get("BENCH_DIVIDE", "1"))


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: make bench-reports")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_bulk", divide=DIVIDE, quiet=True)
    print(f"seed_bulk (divide {DIVIDE}): {time.perf_counter() - started:.0f} s")
    admin = User.objects.create_superuser(email="bench-admin@bulk.example", password=None)
    client = Client()
    client.force_login(admin)
    programme = Programme.objects.order_by("pk").first()
    event = Event.objects.order_by("-start").first()
    urls = {
        "reach, all events": "/admin/reports/reach/",
        "reach, one programme, years compared": f"/admin/reports/reach/?programme={programme.pk}",
        "reach, one event": f"/admin/reports/reach/?event={event.pk}",
        "reach, one year": "/admin/reports/reach/?start=2024-01-01&end=2024-12-31",
        "reach CSV by country": (
            f"/admin/reports/reach/?programme={programme.pk}&format=csv&table=by_country"
        ),
        "downloads": "/admin/reports/downloads/",
        "searches": "/admin/reports/searches/",
    }
    print("\n| report | median ms | slowest ms | SQL queries |\n|---|---:|---:|---:|")
    for name, url in urls.items():
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        median, slowest = statistics.median(times), max(times)
        print(f"| {name} | {median:.0f} | {slowest:.0f} | {len(queries.captured_queries)} |")


if __name__ == "__main__":
    main()
