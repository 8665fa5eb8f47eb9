"""Search latency of the knowledge repository on PostgreSQL with 10,000 resources.

Run: `make bench-search`, i.e.
`.venv/bin/python -m tests.pgcluster -- .venv/bin/python bench/search_latency.py`.
It migrates the throwaway database, loads 10,000 resources with extracted text (seed_bulk), then
requests the search page in-process (Django's test client, the whole middleware stack, no network)
for several kinds of query and prints the median and 95th percentile per kind.
"""

import os
import re
import statistics
import time

import inprocess  # noqa: F401  (Django set up for in-process benchmarks)

# isort: split
from django.core.management import call_command
from django.db import connection
from django.test import Client

from lpa_portal.bulk import Scale, seed_bulk

RESOURCES = int(os.environ.get("BENCH_RESOURCES", "10000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "40"))
# The count in the results heading ("9,931 resources"): a plain Client records no context.
RESULTS = re.compile(r'id="results-heading"[^>]*>\s*([\d,.\u00a0\u202f ]+?)\s+resources?\b')
QUERIES = {
    "common word": ["validation", "quality", "cleaning", "sterile"],
    "two words": ["data integrity", "water system", "process validation", "cold chain"],
    "rare word": ["chromatography", "recall", "labelling", "warehouse"],
    "reference number": ["BULK/2019/120", "BULK/2024/5531", "BULK/2011/9001", "BULK/2016/777"],
    "typo": ["valdation", "integrety", "sterlie", "contaminaton"],
    "web syntax": [
        '"data integrity" -sterile',
        "audit OR inspection",
        '"cold chain"',
        "hvac -water",
    ],
}


def main() -> None:
    assert connection.vendor == "postgresql", (
        "run this under tests.pgcluster or with a PostgreSQL DATABASE_URL"
    )
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    seed_bulk(
        scale=Scale(users=200, events=10, registrations=100, resources=RESOURCES, downloads=20_000),
        quiet=False,
    )
    print(f"\nLoaded {RESOURCES} resources in {time.monotonic() - started:.0f} s")
    client = Client()
    client.get("/en/resources/?q=warmup")
    print("\n| query kind | median ms | p95 ms | results (first query) |\n|---|---:|---:|---:|")
    all_times = []
    for kind, queries in QUERIES.items():
        times = []
        results = None
        for i in range(REPEAT):
            query = queries[i % len(queries)]
            t0 = time.perf_counter()
            response = client.get("/en/resources/", {"q": query})
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (query, response.status_code)
            if results is None:
                found = RESULTS.search(response.content.decode())
                results = found.group(1) if found else "?"
        times.sort()
        all_times += times
        p95 = times[max(int(len(times) * 0.95) - 1, 0)]
        print(f"| {kind} | {statistics.median(times):.0f} | {p95:.0f} | {results} |")
    all_times.sort()
    print(
        f"| all | {statistics.median(all_times):.0f} | "
        f"{all_times[int(len(all_times) * 0.95) - 1]:.0f} | |"
    )


if __name__ == "__main__":
    main()
