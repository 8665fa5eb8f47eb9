"""Where the time of a page made from scratch goes: `make bench-profile`.

Run under a throwaway PostgreSQL cluster (`python -m tests.pgcluster -- python
bench/profile_pages.py`). It loads the full `seed_bulk` data as `make bench` does (restoring
the dump of an earlier run when the code is the same), draws the URLs of the mixed passes
(`portal_data.py mixed`), then requests 30 different URLs of each kind in one process with
nothing kept (page cache and kept parts off), and writes bench/PROFILE.md: per kind, the wall
time of a request, the time spent in SQL statements, the CPU time of the process, and the
functions of the portal and the template rendering that take the most CPU time.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import http_bench as bench

PROFILE = bench.BENCH / "PROFILE.md"


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Run under tests.pgcluster: make bench-profile", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lpa-profile-") as tmp:
        workdir = Path(tmp)
        # Kept parts and the page cache are off for every request of the profile, so the
        # cache is Django's local memory: nothing it holds is measured.
        env = bench.portal_env(os.environ["DATABASE_URL"], workdir, "locmemcache://")
        data = bench.prepare(env, bench.DIVIDE)
        bench.manage(env, "collectstatic", "--no-input", "-v", "0")
        bench.portal_data(env, "mixed", tmp)
        profile = bench.portal_data(env, "profile", tmp)
    info = bench.machine()
    lines = [
        "# Where the time of a page goes (made from scratch)",
        "",
        f"Made by `make bench-profile` (bench/profile_pages.py) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {(time.monotonic() - started) / 60:.0f} "
        "minutes; this file is overwritten.",
        "",
        f"- {info['cpus']} CPUs ({info['cpu']}); Python {info['python']}, Django "
        f"{info['django']}, PostgreSQL {info['postgres']}; code: commit {info['commit']}",
        f"- data: {data['counts']}",
        "- in one process (Django's test client, production settings, DEBUG off), page cache "
        "and kept parts off; per kind, 30 different URLs of the mixed passes' file after 5 "
        "not counted. SQL: the statements' own time (around each execute, the database "
        "server's work and the round trip). CPU: this process's CPU time (Python, templates, "
        "psycopg2 reading the rows), without the profiler. Then the same requests under cProfile "
        "(a CPU clock): the share of the profiled CPU time spent in each part of the code (its "
        "functions' own time) and the portal's functions that take the most (with what they "
        "call).",
        "",
        "| kind | wall ms per request | SQL ms | SQL queries | CPU ms of the process |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, row in profile.items():
        lines.append(
            f"| {kind} | {row['wall_ms']:.1f} | {row['sql_ms']:.1f} | {row['queries']:.1f} "
            f"| {row['cpu_ms']:.1f} |"
        )
    base = profile.get("a page of plain text (privacy)")
    if base:
        lines += [
            "",
            f"Every page pays what the page of plain text costs: {base['cpu_ms']:.1f} ms of CPU "
            "(the middleware, the base template with its header, menus, language links and "
            "footer, the context processors) before anything of its own.",
        ]
    for kind, row in profile.items():
        lines += [
            "",
            f"## {kind}",
            "",
            "| part of the code (own CPU time) | share |",
            "|---|---:|",
            *(f"| {area} | {part:.0%} |" for area, part in row["areas"]),
            "",
            "| the portal's functions (cumulative, calls below them included) | share |",
            "|---|---:|",
            *(f"| `{top['function']}` | {top['share']:.0%} |" for top in row["portal"]),
        ]
    PROFILE.write_text("\n".join(lines) + "\n")
    bench.log(f"wrote {PROFILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
