"""HTTP load test of the portal under gunicorn with production settings: `make bench-http`.

Run under a throwaway PostgreSQL cluster (`python -m tests.pgcluster -- python bench/http_bench.py`,
which sets DATABASE_URL). In that cluster it

1. migrates two databases and loads `manage.py seed_bulk` into them: the default scale (50,000
   users, 2,000 events, 20,000 sessions, 200,000 registrations, 20,000 resources, 500,000
   downloads) and a tenth of it (`--divide 10`), then collects the static files;
2. starts a throwaway redis-server (the cache shared by the processes, as in production) and
   gunicorn on a free port of 127.0.0.1 (DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
   no HTTPS redirect; gthread workers), and load-tests with wrk at concurrency 8 for a bounded
   time, always beside the floor (`/healthz`, the cheapest request through the same
   middleware):
   - mixed traffic, each request a different URL out of hundreds per kind (event pages, event
     lists, searches, resource pages, resource lists; `portal_data.py mixed`): made from
     scratch, with the production cache (page cache and kept parts), and with kept parts only;
   - one URL per page, as the first round measured: page cache off (what signed-in people get),
     made from scratch, and from the page cache;
   - on a tenth of the data, the pages and the mixed kinds made from scratch (growth);
   each row with p50/p95/p99, SQL queries per request and the cache's hit rate;
3. runs the registration storm: 300 signed-in people post their registration at once for an
   event with 50 seats; exactly 50 must be confirmed and 250 waitlisted in arrival order, with no
   server error, or the run fails;
4. writes bench/RESULTS.md (the machine, the tables, the targets, the previous run's figures
   beside this one's) and exits non-zero if any
   request failed or the storm went wrong. Slow pages are reported, not failed: a 2-core machine
   shared with other work gives noisy figures.

With BENCH_TARGET=prod it measures the production topology of `make prod-up` instead
(deploy/local/topology.py): the same pages and storm through nginx, in front of two app servers,
with the cache in Redis, the files in the object store and the anonymous reads on the replica.
It loads the bulk data into the topology's database (once: later runs use what is there), sets
PAGE_CACHE_SECONDS and FRAGMENT_CACHE_SECONDS of each pass in the topology's settings and
restarts its gunicorns (and puts the settings back at the end), skips the pass on a tenth of the
data, and writes bench/RESULTS-prod.md.

All traffic goes to 127.0.0.1 (to nginx's address with BENCH_TARGET=prod). Environment:
BENCH_DURATION (seconds per page, default 10),
BENCH_WARMUP (2), BENCH_WORKERS (4), BENCH_THREADS (2), BENCH_DIVIDE (1: the full scale; a larger
number loads less, for a quick try), BENCH_FRESH (1: load the data afresh rather than restore the
dump in var/bench/ that an earlier run of the same code made).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from importlib.metadata import distributions, version
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg2
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pgcluster import find_pg_bin  # noqa: E402

BENCH = ROOT / "bench"
PY = sys.executable
LUA = BENCH / "wrk_report.lua"
TARGET = os.environ.get("BENCH_TARGET", "local")
RESULTS = Path(
    os.environ.get("BENCH_RESULTS")
    or BENCH / ("RESULTS-prod.md" if TARGET == "prod" else "RESULTS.md")
).resolve()
# Where the requests go: gunicorn on the loopback, or nginx of the production topology.
HOST = "127.0.0.1"

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
DIVIDE = int(os.environ.get("BENCH_DIVIDE", "1"))
# The loaded data are dumped to var/bench/ and restored by the next run of the same code;
# BENCH_FRESH=1 loads them afresh.
REUSE_DATA = os.environ.get("BENCH_FRESH", "") in ("", "0")
DUMPS = ROOT / "var" / "bench"
CONCURRENCY = 8
ALONE_REQUESTS = 9  # one after another, for the latency of a page on its own
STORM_PEOPLE = 300
STORM_SEATS = 50
SMALL_DATABASE = "bench_small"
# The shared cache of production, a throwaway redis-server here (the memory limit and eviction of
# deploy/redis/lpa-cache.conf), emptied before each pass.
REDIS_MAXMEMORY = "256mb"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) lpa-portal-load-test"

# Targets (2 cores, concurrency 8).
P95_PAGE_MS = 100
P95_SEARCH_MS = 200
UNCACHED_SHARE_OF_FLOOR = 0.10
CACHED_SHARE_OF_FLOOR = 0.40

# The mixed passes: each request a different URL out of the hundreds of its kind that
# `portal_data.py mixed` draws from the bulk data (bench/wrk_report.lua picks one at random).
MIXED_ORDER = ["event pages", "event lists", "searches", "resource pages", "resource lists"]
MIXED_ALONE = 15  # distinct URLs requested one after another, for a page's own cost
# Targets of the mixed traffic made from scratch (issue 13): (share of the floor, p95 ms). The
# home page is one URL per language: its single-URL pass made from scratch stands for it.
MIXED_TARGETS = {
    "home": (0.08, 60),
    "event pages": (0.08, 60),
    "resource pages": (0.08, 60),
    "event lists": (0.05, 100),
    "resource lists": (0.05, 100),
    "searches": (0.03, 150),
}
# A page's time alone on all the data, at most this many times its time on a tenth of it.
GROWTH_LIMIT = 1.3

# Which pages run in which pass.
UNCACHED_PAGES = [
    "floor",
    "home",
    "event list, filtered",
    "event page",
    "search: common word",
    "search: rare word",
    "search: reference number",
    "search: typo",
    "resource list",
    "resource page",
    "file download",
]
CACHED_PAGES = [
    "floor",
    "home",
    "event list, filtered",
    "event page",
    "search: common word",
    "search: rare word",
    "search: reference number",
    "search: typo",
    "resource list",
    "resource page",
]
SCALING_PAGES = [
    "floor",
    "home",
    "event page",
    "resource page",
    "event list, filtered",
    "resource list",
    "search: common word",
    "search: rare word",
    "search: reference number",
    "search: typo",
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- set-up


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(base: str, name: str) -> None:
    """An empty database `name` in the cluster of `base` (connected to another database,
    since a database cannot be dropped from inside)."""
    connection = psycopg2.connect(database_url(base, "template1"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def portal_env(
    url: str,
    workdir: Path,
    cache_url: str,
    *,
    page_cache_seconds: int = 0,
    fragment_cache_seconds: int = 120,
) -> dict[str, str]:
    """The settings of a production deployment, on this machine."""
    env = {k: v for k, v in os.environ.items() if k != "STATICFILES_STORAGE"}
    env.update(
        DJANGO_SETTINGS_MODULE="lpa_portal.settings",
        DATABASE_URL=url,
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        # Plain HTTP on the loopback: the cookies must travel without TLS.
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        # The cache shared by the processes, as in production: Redis.
        CACHE_URL=cache_url,
        PAGE_CACHE_SECONDS=str(page_cache_seconds),
        FRAGMENT_CACHE_SECONDS=str(fragment_cache_seconds),
        # Emails are queued in the database, as in production; no worker sends them here.
        TASK_BACKEND="django_tasks_db.DatabaseBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def portal_data(env: dict[str, str], *args: str):
    result = subprocess.run(
        [PY, str(BENCH / "portal_data.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    )
    return json.loads(result.stdout)


def data_fingerprint(divide: int) -> str:
    """What the loaded data depend on: the scale, the code of the portal (models, migrations,
    the bulk loader, the search index), the installed packages (their migrations) and the
    PostgreSQL version. Any change makes a new dump."""
    digest = hashlib.sha256(f"divide={divide}|postgres={postgres_version()}".encode())
    for app in ("accounts", "events", "repository", "lpa_portal"):
        for path in sorted((ROOT / app).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions())
    digest.update("\n".join(packages).encode())
    return digest.hexdigest()[:16]


def pg_tool(name: str) -> str:
    pg_bin = find_pg_bin()
    return str(pg_bin / name) if pg_bin else name


def prepare(env: dict[str, str], divide: int) -> dict:
    """Migrate and load the bulk data, or restore the dump that an earlier run made of the same
    data (same fingerprint); the dump is taken right after loading, before any test wrote."""
    url = env["DATABASE_URL"]
    database = urlsplit(url).path[1:]
    dump = DUMPS / f"bulk-divide{divide}-{data_fingerprint(divide)}.dump"
    started = time.monotonic()
    if REUSE_DATA and dump.is_file():
        log(f"restoring {dump.relative_to(ROOT)} into {database}")
        restored = subprocess.run(
            [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-j", "2", "-d", url, dump],
            check=False,
        )
        if restored.returncode == 0:
            connection = psycopg2.connect(url)
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            connection.close()
            counts = dump.with_suffix(".txt").read_text().strip()
            seconds = time.monotonic() - started
            return {"counts": counts, "migrate_s": 0.0, "seed_s": seconds, "restored": True}
        log(f"pg_restore failed; loading afresh ({dump.name} is removed)")
        dump.unlink()
        create_database(url, database)
    manage(env, "migrate", "--no-input", "-v", "0")
    migrated = time.monotonic()
    log(f"seed_bulk --divide {divide} into {database}")
    counts = manage(env, "seed_bulk", "--divide", str(divide), capture=True).strip()
    seeded = time.monotonic()
    if REUSE_DATA:
        DUMPS.mkdir(parents=True, exist_ok=True)
        for old in DUMPS.glob(f"bulk-divide{divide}-*"):
            old.unlink()
        partial = dump.with_suffix(".partial")
        subprocess.run([pg_tool("pg_dump"), "-Fc", "-Z", "1", "-f", partial, url], check=True)
        dump.with_suffix(".txt").write_text(counts + "\n")
        partial.rename(dump)
    return {
        "counts": counts,
        "migrate_s": migrated - started,
        "seed_s": seeded - migrated,
        "restored": False,
    }


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], workdir: Path, label: str):
    port = free_port()
    logfile = workdir / f"gunicorn-{label}.log"
    command = [
        PY,
        "-m",
        "gunicorn",
        "lpa_portal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
    ]
    with logfile.open("w") as output:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        # A task worker beside it, as in production: it counts the repository list's facets
        # when they are asked for (and sends the queued emails to the local memory backend).
        worker = subprocess.Popen(
            [PY, "manage.py", "db_worker"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {logfile}:\n{logfile.read_text()}")
            try:
                status, _headers, _body = request(port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 90 s; see {logfile}")
            time.sleep(0.3)
        log(
            f"gunicorn ({label}) on 127.0.0.1:{port}: {WORKERS} workers x {THREADS} threads, "
            "and a db_worker"
        )
        yield port
    finally:
        for process in (server, worker):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        errors = [
            line
            for line in logfile.read_text(errors="replace").splitlines()
            if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line
        ]
        if errors:
            log(f"gunicorn ({label}) logged {len(errors)} error lines; see {logfile}")


def request(port: int, method: str, path: str, *, body: str = "", headers=None, timeout=30):
    connection = HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


# --------------------------------------------------------------------------- the cache


class CacheStats:
    """The lookups of the shared cache (Redis's keyspace hits and misses), so that each run can
    say what share of its cache reads found something: the kept parts of pages, the page cache
    and the content versions alike."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=5)

    def counts(self) -> tuple[int, int] | None:
        try:
            stats = self.client.info("stats")
        except redis.RedisError:
            return None
        return stats["keyspace_hits"], stats["keyspace_misses"]

    def empty(self) -> None:
        self.client.flushall()


@contextmanager
def redis_cache(workdir: Path):
    """A throwaway redis-server on a free port, configured as production's (no persistence, a
    memory limit, least recently used keys evicted); yields its URL."""
    port = free_port()
    directory = workdir / "redis"
    directory.mkdir()
    command = [
        shutil.which("redis-server") or "redis-server",
        "--bind", HOST,
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        "--maxmemory", REDIS_MAXMEMORY,
        "--maxmemory-policy", "allkeys-lru",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://{HOST}:{port}/0"
    client = redis.Redis.from_url(url, socket_timeout=1)
    try:
        for _attempt in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"redis-server did not start on port {port}")
        log(f"redis-server on {HOST}:{port} (maxmemory {REDIS_MAXMEMORY}, allkeys-lru)")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def hit_rate(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None:
        return None
    hits, misses = after[0] - before[0], after[1] - before[1]
    return hits / (hits + misses) if hits + misses else None


# --------------------------------------------------------------------------- load tests


@dataclass
class Run:
    page: str
    url: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int
    server_errors: int
    cache_hits: int
    load: float
    alone_ms: float | None = None
    queries: int | None = None
    ratio: float | None = None
    hit_rate: float | None = None
    urls: int = 1
    raw: dict = field(default_factory=dict)

    @property
    def page_cache_share(self) -> float | None:
        return self.cache_hits / self.requests if self.requests else None


def timed_request(port: int, url: str) -> float:
    """Milliseconds of one request while no other runs: the page's own cost, without queueing."""
    started = time.perf_counter()
    status, _headers, _body = request(port, "GET", url, headers={"User-Agent": USER_AGENT})
    elapsed = (time.perf_counter() - started) * 1000
    assert status < 400, (url, status)
    return elapsed


def wrk(port: int, url: str, seconds: int, paths: Path | None = None) -> dict:
    """wrk at concurrency 8 on `url`, or with `paths` on a URL of that file at random for each
    request."""
    command = [
        "wrk",
        "-t1",
        f"-c{CONCURRENCY}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-H",
        f"User-Agent: {USER_AGENT}",
        "-s",
        str(LUA),
        f"http://{HOST}:{port}{url}",
    ]
    if paths is not None:
        command += ["--", str(paths)]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in output.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    raise RuntimeError(f"wrk gave no summary for {url}:\n{output.stdout}\n{output.stderr}")


def measured(
    port: int,
    page: str,
    url: str,
    label: str,
    cache: CacheStats | None,
    *,
    paths: Path | None = None,
    alone_urls: list[str],
) -> Run:
    """One row: warm-up, the page alone (requests one after another), then wrk for DURATION s,
    with the cache's hit rate over that time."""
    wrk(port, url, WARMUP, paths)  # warms every worker (and, when on, the caches)
    alone = sorted(timed_request(port, alone_url) for alone_url in alone_urls)
    before = cache.counts() if cache else None
    raw = wrk(port, url, DURATION, paths)
    after = cache.counts() if cache else None
    errors = (
        raw["connect_errors"]
        + raw["read_errors"]
        + raw["write_errors"]
        + raw["timeouts"]
        + raw["status_errors"]
    )
    run = Run(
        page=page,
        url=url,
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        requests=raw["requests"],
        errors=errors,
        server_errors=raw["server_errors"],
        cache_hits=raw["cache_hits"],
        load=os.getloadavg()[0],
        alone_ms=alone[len(alone) // 2],
        hit_rate=hit_rate(before, after),
        raw=raw,
    )
    rate = "–" if run.hit_rate is None else f"{run.hit_rate:.0%}"
    log(
        f"{label:<14} {page:<26} {run.rps:7.1f} req/s  p50 {run.p50_ms:6.1f} ms  "
        f"p95 {run.p95_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  alone {run.alone_ms:6.1f} ms  "
        f"errors {errors}  page cache {run.cache_hits}  cache hit rate {rate}"
    )
    return run


def load_test(
    port: int, pages: list[str], urls: dict[str, str], label: str, cache: CacheStats | None
) -> list[Run]:
    """One URL per page: after the first request its parts (or the page) are in the cache."""
    return [
        measured(port, page, urls[page], label, cache, alone_urls=[urls[page]] * ALONE_REQUESTS)
        for page in pages
    ]


def mixed_test(port: int, files: dict[str, dict], label: str, cache: CacheStats | None):
    """Real traffic: each request a different URL of the kind's file."""
    runs = []
    for kind in MIXED_ORDER:
        paths = Path(files[kind]["file"])
        urls = paths.read_text().split()
        # Its own cost: URLs from the end of the file, one after another.
        run = measured(port, kind, "/", label, cache, paths=paths, alone_urls=urls[-MIXED_ALONE:])
        run.url = f"{len(urls)} URLs, e.g. `{urls[0]}`"
        run.urls = len(urls)
        runs.append(run)
    return runs


# --------------------------------------------------------------------------- the storm


def cookie_value(headers: list[tuple[str, str]], name: str) -> str | None:
    for header, value in headers:
        if header.lower() == "set-cookie" and value.startswith(f"{name}="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


def registration_storm(port: int, env: dict[str, str]) -> dict:
    """300 signed-in people post the registration form of a 50-seat event at the same moment."""
    setup = portal_data(env, "storm-setup", str(STORM_PEOPLE), str(STORM_SEATS))
    url = setup["url"]
    token_pattern = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')

    def prepare_person(session: str) -> tuple[str, str, str]:
        # What a browser has before it posts: the page with the form, and the CSRF cookie.
        cookie = {"Cookie": f"sessionid={session}"}
        status, headers, body = request(port, "GET", url, headers=cookie)
        assert status == 200, f"event page answered {status} to a signed-in person"
        assert b'name="consent"' in body, "the event page shows no registration form"
        csrf_cookie = cookie_value(headers, "csrftoken")
        token = token_pattern.search(body)
        assert csrf_cookie and token, "no CSRF cookie or token on the event page"
        return session, csrf_cookie, token.group(1).decode()

    prepared_at = time.monotonic()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        people = list(pool.map(prepare_person, setup["sessions"]))
    prepare_seconds = time.monotonic() - prepared_at

    barrier = threading.Barrier(len(people) + 1)
    answers: list[tuple[int, str, float] | None] = [None] * len(people)
    failures: list[str] = []

    def post(index: int, session: str, csrf_cookie: str, token: str) -> None:
        connection = HTTPConnection(HOST, port, timeout=120)
        try:
            connection.connect()
            barrier.wait(timeout=60)
            connection.request(
                "POST",
                url,
                body=urlencode({"csrfmiddlewaretoken": token, "consent": "on"}),
                headers={
                    "Cookie": f"sessionid={session}; csrftoken={csrf_cookie}",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "User-Agent": USER_AGENT,
                },
            )
            response = connection.getresponse()
            response.read()
            answers[index] = (response.status, response.getheader("Location", ""), time.monotonic())
        except Exception as error:  # every failure is reported below
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(index, *person), daemon=True)
        for index, person in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    started = time.monotonic()
    for thread in threads:
        thread.join(timeout=180)
    finished = [answer for answer in answers if answer is not None]
    seconds = (max(answer[2] for answer in finished) - started) if finished else float("nan")
    statuses: dict[int, int] = {}
    for status, _location, _at in finished:
        statuses[status] = statuses.get(status, 0) + 1
    check = portal_data(env, "storm-check", setup["slug"])

    problems = list(failures)
    if len(finished) != len(people):
        problems.append(f"{len(people) - len(finished)} posts got no answer")
    if set(statuses) != {302}:
        problems.append(f"answers by status: {statuses} (every one should be a 302 redirect)")
    if any(location != url for status, location, _at in finished if status == 302):
        problems.append("a redirect went elsewhere than back to the event")
    expected = ["confirmed"] * STORM_SEATS + ["waitlisted"] * (STORM_PEOPLE - STORM_SEATS)
    if check["statuses_in_arrival_order"] != expected:
        problems.append(
            f"{check['confirmed']} confirmed, {check['waitlisted']} waitlisted, "
            f"{check['other']} other of {check['total']}; or not in arrival order"
        )
    if not (check["pk_order_is_arrival_order"] and check["waitlist_in_arrival_order"]):
        problems.append("the waiting list is not in arrival order")
    if check["distinct_people"] != STORM_PEOPLE:
        problems.append(f"{check['distinct_people']} distinct people registered")
    return {
        "people": len(people),
        "seats": STORM_SEATS,
        "seconds": seconds,
        "prepare_seconds": prepare_seconds,
        "statuses": statuses,
        "server_errors": sum(count for status, count in statuses.items() if status >= 500),
        "confirmed": check["confirmed"],
        "waitlisted": check["waitlisted"],
        "other": check["other"],
        "in_order": check["pk_order_is_arrival_order"] and check["waitlist_in_arrival_order"],
        "problems": problems,
    }


# --------------------------------------------------------------------------- the report


def postgres_version() -> str:
    connection = psycopg2.connect(os.environ["DATABASE_URL"])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version_text = cursor.fetchone()[0]
    connection.close()
    return version_text


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    os_name = platform.platform()
    if Path("/etc/os-release").is_file():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    wrk_line = (wrk_version.stdout or wrk_version.stderr).strip().splitlines()[0]
    postgres = postgres_version()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    dirty = [line for line in dirty if not line.endswith("bench/RESULTS.md")]
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{memory_kb / 1024 / 1024:.1f} GiB",
        "os": f"{os_name}, Linux {platform.release()}",
        "python": platform.python_version(),
        "django": version("Django"),
        "gunicorn": version("gunicorn"),
        "psycopg2": version("psycopg2-binary"),
        "postgres": postgres,
        "wrk": wrk_line,
        "commit": commit
        + (
            " with uncommitted changes (work in progress in the same checkout) to "
            + ", ".join(f"`{line[3:]}`" for line in dirty)
            if dirty
            else ""
        ),
    }


def is_search(page: str) -> bool:
    return page.startswith("search") or page.startswith("resource list")


def p95_target(page: str) -> int | None:
    if page in ("floor", "file download"):
        return None
    return P95_SEARCH_MS if is_search(page) else P95_PAGE_MS


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def share(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}%}"


def page_table(runs: list[Run], *, cached: bool) -> list[str]:
    lines = [
        "| page | URL | req/s | share of floor | median ms | p95 ms | p99 ms | median ms alone "
        "| SQL queries per request | cache hit rate | answered by the page cache | errors | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        if run.queries is None:
            queries = "–"
        elif isinstance(run.queries, float):
            queries = f"{run.queries:.1f}"
        else:
            queries = str(run.queries)
        url = run.url if run.url.endswith("`") or " URLs" in run.url else f"`{run.url}`"
        lines.append(
            f"| {run.page} | {url} | {run.rps:.0f} | {share(run.ratio, 1)} | {run.p50_ms:.1f} "
            f"| {run.p95_ms:.1f} | {run.p99_ms:.1f} | {run.alone_ms:.1f} | {queries} "
            f"| {share(run.hit_rate)} | {share(run.page_cache_share) if cached else '–'} "
            f"| {run.errors} | {run.load:.1f} |"
        )
    return lines


def previous_results() -> dict[str, dict[str, dict[str, str]]]:
    """The single-URL tables of the results file this run replaces: section → page → column →
    value, to show each page against the previous run."""
    if not RESULTS.is_file():
        return {}
    sections: dict[str, dict[str, dict[str, str]]] = {}
    section, header = "", []
    for line in RESULTS.read_text().splitlines():
        if line.startswith("## "):
            section, header = line[3:], []
            sections[section] = {}
        elif line.startswith("| page |"):
            header = [cell.strip() for cell in line.strip("|").split("|")]
        elif header and line.startswith("| ") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if len(cells) == len(header):
                sections[section][cells[0]] = dict(zip(header, cells, strict=True))
        else:
            header = header if line.startswith("|") else []
    previous_commit = re.search(r"code: commit (\w+)", RESULTS.read_text())
    sections["commit"] = {"": {"": previous_commit.group(1) if previous_commit else "?"}}
    return sections


def comparison_table(previous: dict, passes: list[tuple[str, str, list[Run]]]) -> list[str]:
    """Each single-URL page of this run beside the same page of the previous run."""
    if not previous:
        return ["No earlier results file to compare with."]
    lines = [
        f"The same pages in the results this file replaces (commit "
        f"{previous['commit']['']['']}), as a share of each run's floor (req/s differ with the "
        "machine's load; the share much less).",
        "",
        "| pass | page | share of floor before | now | p95 ms before | now |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, heading, runs in passes:
        section = next((rows for title, rows in previous.items() if title.startswith(heading)), {})
        for run in runs:
            before = section.get(run.page)
            if before is None or run.page == "floor":
                continue
            lines.append(
                f"| {name} | {run.page} | {before.get('share of floor', '–')} "
                f"| {share(run.ratio)} | {before.get('p95 ms', '–')} | {run.p95_ms:.1f} |"
            )
    return lines


def mixed_targets(made_mixed: list[Run], made: list[Run], production_mixed: list[Run]) -> list[str]:
    """The targets of issue 13: mixed traffic made from scratch, and the production cache never
    slower than made from scratch."""
    rows = {run.page: run for run in made_mixed}
    home = next((run for run in made if run.page == "home"), None)
    if home is not None:
        rows["home"] = home
    lines = [
        "| kind (made from scratch) | share of floor: target | result | p95: target | result |",
        "|---|---:|---|---:|---|",
    ]
    for kind, (target_share, target_p95) in MIXED_TARGETS.items():
        run = rows.get(kind)
        if run is None or run.ratio is None:
            continue
        label = kind if kind != "home" else "home (one URL per language)"
        lines.append(
            f"| {label} | ≥ {target_share:.0%} | {run.ratio:.1%}, "
            f"{verdict(run.ratio >= target_share)} | < {target_p95} ms | {run.p95_ms:.0f} ms, "
            f"{verdict(run.p95_ms < target_p95)} |"
        )
    lines += [
        "",
        "| kind | with the production cache: req/s | made from scratch: req/s "
        "| never slower with the cache |",
        "|---|---:|---:|---|",
    ]
    for run in production_mixed:
        scratch = next(other for other in made_mixed if other.page == run.page)
        lines.append(
            f"| {run.page} | {run.rps:.0f} (p95 {run.p95_ms:.0f} ms) | {scratch.rps:.0f} "
            f"(p95 {scratch.p95_ms:.0f} ms) | {verdict(run.rps >= scratch.rps)} |"
        )
    return lines


def targets(
    uncached: list[Run], made: list[Run], cached: list[Run], storm: dict, others: list[Run]
) -> tuple[list[str], bool]:
    """The single-URL targets of the first round and whether each is met; the second value:
    whether nothing failed outright (a failed request in any pass, `others` included, or a
    wrong storm). "Uncached" is without the page cache (what signed-in people get), the kept
    parts of pages on as in production; the pages made from scratch are reported beside."""
    lines = ["| target | result | made from scratch (reported, no target) |", "|---|---|---|"]
    scratch = {run.page: run for run in made}
    for run in uncached:
        limit = p95_target(run.page)
        if limit is not None:
            other = scratch.get(run.page)
            lines.append(
                f"| {run.page}: p95 < {limit} ms (uncached) "
                f"| {run.p95_ms:.0f} ms, {verdict(run.p95_ms < limit)} "
                f"| {f'{other.p95_ms:.0f} ms' if other else '–'} |"
            )
    for run in uncached:
        if run.page != "floor" and run.ratio is not None:
            other = scratch.get(run.page)
            lines.append(
                f"| {run.page}: uncached >= {UNCACHED_SHARE_OF_FLOOR:.0%} of the floor "
                f"| {run.ratio:.0%}, {verdict(run.ratio >= UNCACHED_SHARE_OF_FLOOR)} "
                f"| {share(other.ratio) if other else '–'} |"
            )
    for run in cached:
        if run.page != "floor" and run.ratio is not None:
            lines.append(
                f"| {run.page}: from the page cache >= {CACHED_SHARE_OF_FLOOR:.0%} of the floor "
                f"| {run.ratio:.0%}, {verdict(run.ratio >= CACHED_SHARE_OF_FLOOR)} | |"
            )
    errors = sum(run.errors for run in [*uncached, *made, *cached, *others])
    lines.append(f"| no failed request in the load tests | {errors}, {verdict(not errors)} | |")
    storm_ok = not storm["problems"]
    lines.append(
        f"| storm: {storm['seats']} confirmed, {storm['people'] - storm['seats']} waitlisted in "
        f"arrival order, no 5xx | {storm['confirmed']} confirmed, {storm['waitlisted']} "
        f"waitlisted, {storm['server_errors']} 5xx, {verdict(storm_ok)} | |"
    )
    return lines, errors == 0 and storm_ok


def loaded(data: dict, command: str) -> str:
    if data["restored"]:
        return (
            f"restored in {data['seed_s']:.0f} s from the dump of an earlier run's {command} "
            "with the same code"
        )
    return f"{command}: {data['seed_s'] / 60:.1f} min, migrate {data['migrate_s']:.0f} s"


def growth_table(small: list[Run], full: list[Run]) -> list[str]:
    """Each page alone on a tenth of the data against all of it, made from scratch."""
    big = {run.page: run for run in full}
    lines = [
        "| page | alone ms at 1/10 | alone ms at full | growth alone "
        f"(limit x{GROWTH_LIMIT}) | p95 ms at 1/10 | p95 ms at full | req/s at 1/10 "
        "| req/s at full |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for run in small:
        other = big.get(run.page)
        if other is None or run.page == "floor":
            continue
        growth = other.alone_ms / run.alone_ms if run.alone_ms else float("nan")
        lines.append(
            f"| {run.page} | {run.alone_ms:.1f} | {other.alone_ms:.1f} "
            f"| x{growth:.2f}, {verdict(growth <= GROWTH_LIMIT)} | {run.p95_ms:.1f} "
            f"| {other.p95_ms:.1f} | {run.rps:.0f} | {other.rps:.0f} |"
        )
    return lines


@dataclass
class Passes:
    """What one run measured, pass by pass."""

    uncached: list[Run]
    made: list[Run]
    cached: list[Run]
    storm: dict
    mixed_production: list[Run] = field(default_factory=list)
    mixed_parts: list[Run] = field(default_factory=list)
    mixed_made: list[Run] = field(default_factory=list)
    small: list[Run] = field(default_factory=list)
    small_mixed: list[Run] = field(default_factory=list)

    def every_run(self) -> list[Run]:
        return [
            *self.uncached,
            *self.made,
            *self.cached,
            *self.mixed_production,
            *self.mixed_parts,
            *self.mixed_made,
            *self.small,
            *self.small_mixed,
        ]


SINGLE_HEADINGS = {
    "uncached": "Pages, full data, page cache off",
    "made": "Pages made from scratch",
    "cached": "Pages from the page cache",
}


def write_results(info, data, passes: Passes, previous: dict, load: tuple[float, float], total_s):
    others = [*passes.mixed_production, *passes.mixed_parts, *passes.mixed_made]
    others += [*passes.small, *passes.small_mixed]
    target_lines, passed = targets(
        passes.uncached, passes.made, passes.cached, passes.storm, others
    )
    load_before, load_after = load
    busy = max(load_before, load_after) > int(info["cpus"]) * 0.75
    storm = passes.storm
    lines = [
        "# Benchmark results",
        "",
        f"Made by `{info['command']}` (bench/http_bench.py) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, in {total_s / 60:.0f} minutes. Regenerate "
        f"with `{info['command']}`; this file is overwritten.",
        "",
        "## Machine",
        "",
        f"- {info['cpus']} CPUs ({info['cpu']}), {info['memory']} of memory",
        f"- {info['os']}",
        f"- Python {info['python']}, Django {info['django']}, gunicorn {info['gunicorn']}, "
        f"psycopg2 {info['psycopg2']}, PostgreSQL {info['postgres']} ({info['database']}), "
        f"load from {info['wrk']}",
        f"- code: commit {info['commit']}",
        f"- {info['server']}",
        f"- wrk: 1 thread, {CONCURRENCY} connections, {WARMUP} s of warm-up then {DURATION} s "
        "per row, on the same machine as the server and the database",
        "",
        "### Conditions",
        "",
        f"The 1-minute load average was {load_before:.1f} when the run started and "
        f"{load_after:.1f} at its end, on {info['cpus']} CPUs; each table row gives it at the end "
        "of that row's run. "
        + (
            "Other work was running on the machine at the same time: the load generator, the "
            "server and the database shared the cores with it, so the figures are noisy and "
            "lower than an idle machine gives. The shares of the floor, measured in the same "
            "run, are steadier than req/s."
            if busy
            else "The machine was otherwise quiet; the load generator, the server and the "
            "database still share its cores."
        ),
        "",
        "## Data",
        "",
        f"- full scale: {data['full']['counts']} ({loaded(data['full'], 'seed_bulk')})",
        *(
            [
                f"- a tenth: {data['small']['counts']} "
                f"({loaded(data['small'], 'seed_bulk --divide 10')})"
            ]
            if "small" in data
            else []
        ),
        "",
        "## How to read the tables",
        "",
        "Share of floor: requests per second relative to `/healthz` (the cheapest request "
        "through the same middleware), the highest floor that the passes of this run measured "
        "(each pass starts its own server). p50/p95/p99: under load, at concurrency "
        f"{CONCURRENCY}. Median alone: requests one after another, no queueing (the page's own "
        "cost). SQL queries: of one request, counted in-process with Django's "
        "CaptureQueriesContext (single URLs: a request after a first one; mixed kinds: the "
        "mean over 20 URLs of the kind, made from scratch). Cache hit rate: the share of the "
        "shared cache's lookups during the row that found something (Redis `keyspace_hits` / "
        "(hits + misses)): the kept parts, the page cache, the content versions and rate "
        "limits together. Page-cache answers: the share of responses served whole from the "
        "page cache (its `X-Cache` header).",
        "",
        "## Mixed traffic: each request a different URL (full data)",
        "",
        "The URLs come from `bench/portal_data.py mixed` (a fixed seed): event pages of "
        "different events; event lists with random combinations of when, programme, format, "
        "region, topic and page; searches from one- and two-word queries, typos, rare words "
        "and reference numbers, some with a kind or page 2; resource pages; resource lists by "
        "kind, topic and page. `bench/wrk_report.lua` picks a URL at random for each request. "
        f"Median alone: {MIXED_ALONE} URLs of the kind not used before, one after another.",
        "",
        "### Made from scratch (page cache and kept parts off)",
        "",
        *page_table(passes.mixed_made, cached=False),
        "",
        "### With the production cache (page cache 60 s for anonymous visitors, kept parts)",
        "",
        *page_table(passes.mixed_production, cached=True),
        "",
        "### Kept parts only (page cache off: what signed-in people get)",
        "",
        *page_table(passes.mixed_parts, cached=False),
        "",
        "### The targets of mixed traffic (made from scratch)",
        "",
        *mixed_targets(passes.mixed_made, passes.made, passes.mixed_production),
        "",
        "## Single URLs (full data): one URL per page, as the first round measured",
        "",
        "After the first request its kept parts (or the whole page) are in the cache; the "
        "mixed passes above are the fairer measure of real traffic.",
        "",
        f"## {SINGLE_HEADINGS['uncached']} (concurrency {CONCURRENCY}): what signed-in people get",
        "",
        *page_table(passes.uncached, cached=False),
        "",
        f"## {SINGLE_HEADINGS['made']}: page cache and kept parts off (`FRAGMENT_CACHE_SECONDS=0`)",
        "",
        *page_table(passes.made, cached=False),
        "",
        f"## {SINGLE_HEADINGS['cached']} (anonymous visitors, `PAGE_CACHE_SECONDS=60`)",
        "",
        "A page from the cache can beat the floor: a hit skips the view and the middleware "
        "after LocaleMiddleware, which the floor runs.",
        "",
        *page_table(passes.cached, cached=True),
        "",
        "## Against the previous results",
        "",
        *comparison_table(
            previous,
            [
                (name, SINGLE_HEADINGS[name], getattr(passes, name))
                for name in ("uncached", "made", "cached")
            ],
        ),
        "",
        "## Growth with the data: a tenth of the data against all of it (made from scratch)",
        "",
        "The page alone (median of requests one after another) is its own cost; the figures at "
        "concurrency 8 add the queueing, and the noise of the shared machine. Mixed kinds: "
        "different URLs of the kind on each data set.",
        "",
        *(
            growth_table([*passes.small, *passes.small_mixed], [*passes.made, *passes.mixed_made])
            if passes.small
            else ["Not measured against the production topology: `make bench` measures it."]
        ),
        "",
        "## Registration storm",
        "",
        f"{storm['people']} signed-in people (sessions made beforehand, each with its CSRF "
        f"cookie and token from the event page, {storm['prepare_seconds']:.1f} s) post the "
        f"registration form of an event with {storm['seats']} seats at the same moment, each on "
        "its own connection.",
        "",
        f"- answered in {storm['seconds']:.2f} s; answers by status: "
        + ", ".join(f"{status}: {count}" for status, count in sorted(storm["statuses"].items())),
        f"- {storm['confirmed']} confirmed, {storm['waitlisted']} waitlisted, {storm['other']} "
        f"other; waiting list in arrival order: {'yes' if storm['in_order'] else 'NO'}",
        "- result: "
        + ("passed" if not storm["problems"] else "FAILED: " + "; ".join(storm["problems"])),
        "",
        "## The first round's targets (single URLs)",
        "",
        *target_lines,
        "",
        "Latency and share targets are reported, not enforced: on a shared 2-core machine they "
        "vary from run to run. A failed request or a wrong storm fails `make bench`.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    return passed


# --------------------------------------------------------------------------- main

SECRET_KEY = secrets.token_urlsafe(50)


@contextmanager
def topology_servers(topology, label: str, **settings: int):
    """The production topology's app servers with the settings of a pass (its gunicorns are
    restarted with them); yields nginx's port."""
    topology.reconfigure(**{name: str(value) for name, value in settings.items()})
    lb = topology.hosts["lb"]
    log(
        f"production topology ({label}): nginx on {lb.endpoint}, "
        + ", ".join(f"{name}={value}" for name, value in settings.items())
    )
    yield lb.port


def prepare_topology(env: dict[str, str], url: str, divide: int) -> dict:
    """The bulk data in the topology's database (`url`), loaded once."""
    connection = psycopg2.connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events_programme WHERE slug = 'bulk-programme'")
        (present,) = cursor.fetchone()
    connection.close()
    if present:
        log("the bulk data are already in the topology's database")
        return {
            "counts": "loaded by an earlier run",
            "migrate_s": 0.0,
            "seed_s": 0.0,
            "restored": False,
        }
    started = time.monotonic()
    log(f"seed_bulk --divide {divide} into the topology's database (the replica follows)")
    counts = manage(env, "seed_bulk", "--divide", str(divide), capture=True).strip()
    return {
        "counts": counts,
        "migrate_s": 0.0,
        "seed_s": time.monotonic() - started,
        "restored": False,
    }


def main_prod() -> int:
    """The benchmark against the production topology of `make prod-up` (BENCH_TARGET=prod)."""
    global HOST
    sys.path.insert(0, str(ROOT / "deploy" / "local"))
    import topology as production

    topology = production.Topology.load()
    if topology is None or not topology.running():
        print("BENCH_TARGET=prod measures the production topology: make prod-up", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk (make bench installs it)", file=sys.stderr)
        return 2
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    previous = previous_results()
    settings = topology.env()
    os.environ["DATABASE_URL"] = settings["DATABASE_URL"]
    HOST = topology.hosts["lb"].address
    env = topology.portal_env()
    cache = CacheStats(settings["CACHE_URL"])
    info = machine()
    info.update(
        command="make bench-http BENCH_TARGET=prod",
        database="the topology's primary and its streaming replica, fsync on",
        server=(
            f"the production topology of `make prod-up` ({topology.mode}): nginx in front of "
            f"2 app servers of {settings['GUNICORN_WORKERS']} gthread workers x "
            f"{settings['GUNICORN_THREADS']} threads, the cache in Redis, the files in the "
            "object store (nginx sends them), anonymous public reads on the replica, emails "
            "queued in the database and sent by the task workers"
        ),
    )
    data = {"full": prepare_topology(env, settings["DATABASE_URL"], DIVIDE)}
    urls = portal_data(env, "urls")
    queries = portal_data(env, "queries", *urls.values())
    original = {name: settings[name] for name in ("PAGE_CACHE_SECONDS", "FRAGMENT_CACHE_SECONDS")}
    with tempfile.TemporaryDirectory(prefix="lpa-bench-") as tmp:
        files = portal_data(env, "mixed", tmp)
        mixed_queries = portal_data(env, "mixed-queries", tmp)
        try:
            with topology_servers(
                topology, "uncached", PAGE_CACHE_SECONDS=0, FRAGMENT_CACHE_SECONDS=120
            ) as port:
                uncached = load_test(port, UNCACHED_PAGES, urls, "uncached", cache)
                log("registration storm")
                storm = registration_storm(port, env)
            with topology_servers(
                topology, "made", PAGE_CACHE_SECONDS=0, FRAGMENT_CACHE_SECONDS=0
            ) as port:
                made = load_test(port, UNCACHED_PAGES, urls, "made afresh", cache)
                mixed_made = mixed_test(port, files, "mixed, made", cache)
            with topology_servers(
                topology, "cached", PAGE_CACHE_SECONDS=60, FRAGMENT_CACHE_SECONDS=120
            ) as port:
                cached = load_test(port, CACHED_PAGES, urls, "cached", cache)
                mixed_production = mixed_test(port, files, "mixed, prod", cache)
        finally:
            topology.reconfigure(**original)
    passes = Passes(
        uncached=uncached,
        made=made,
        cached=cached,
        storm=storm,
        mixed_production=mixed_production,
        mixed_made=mixed_made,
    )
    return report(info, data, passes, (queries, mixed_queries), previous, load_before, started)


def report(info, data, passes: Passes, counted, previous, load_before, started) -> int:
    """The shares and queries of every run, bench/RESULTS.md (or RESULTS-prod.md) written; the
    exit code: 1 on a failed request or a wrong registration storm."""
    finish(passes, *counted)
    passed = write_results(
        info,
        data,
        passes,
        previous,
        (load_before, os.getloadavg()[0]),
        time.monotonic() - started,
    )
    log(f"wrote {RESULTS} in {(time.monotonic() - started) / 60:.1f} min")
    if not passed:
        print(
            f"\nBENCHMARK FAILED: failed requests or a wrong registration storm; see {RESULTS}",
            file=sys.stderr,
        )
        return 1
    return 0


def finish(passes: Passes, queries: dict, mixed_queries: dict) -> None:
    """Each run's share of the floor and its SQL queries per request. Each pass measures the
    floor anew (a fresh server); every share is taken of the highest one of the run, the
    strictest comparison, so that a pass whose floor came out low (the database busy after
    the storm, say) does not flatter its pages."""
    runs = passes.every_run()
    best_floor = max(run.rps for run in runs if run.page == "floor")
    for run in runs:
        run.ratio = run.rps / best_floor
    for run in passes.uncached:
        run.queries = queries[run.url]["uncached"]
    for run in passes.made:
        run.queries = queries[run.url]["made"]
    for run in passes.cached:
        counted = queries[run.url]
        run.queries = counted["uncached"] if counted["cached"] is None else counted["cached"]
    for run in [*passes.mixed_made, *passes.mixed_production, *passes.mixed_parts]:
        run.queries = mixed_queries[run.page]


def main() -> int:
    if TARGET == "prod":
        return main_prod()
    if "DATABASE_URL" not in os.environ or not os.environ["DATABASE_URL"].startswith("postgres"):
        print("Run under tests.pgcluster: make bench-http", file=sys.stderr)
        return 2
    missing = [tool for tool in ("wrk", "redis-server") if shutil.which(tool) is None]
    if missing:
        print(f"Missing: {', '.join(missing)} (make bench installs them)", file=sys.stderr)
        return 2
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    previous = previous_results()
    big_url = os.environ["DATABASE_URL"]
    small_url = database_url(big_url, SMALL_DATABASE)
    create_database(big_url, SMALL_DATABASE)
    info = machine()
    info.update(
        command="make bench",
        database="a throwaway cluster with fsync off",
        server=(
            f"gunicorn: {WORKERS} gthread workers x {THREADS} threads, production settings "
            "(DEBUG off, ALLOWED_HOSTS=127.0.0.1, no HTTPS redirect), the cache in Redis "
            f"(redis-server, maxmemory {REDIS_MAXMEMORY}, allkeys-lru) as in production, "
            "emails and the bitsets of the lists' facet counts built by a db_worker beside it"
        ),
    )
    with tempfile.TemporaryDirectory(prefix="lpa-bench-") as tmp, redis_cache(Path(tmp)) as redis:
        workdir = Path(tmp)
        cache = CacheStats(redis)

        def env(url: str, page: int, parts: int) -> dict[str, str]:
            return portal_env(
                url, workdir, redis, page_cache_seconds=page, fragment_cache_seconds=parts
            )

        def server(url: str, label: str, page: int, parts: int):
            cache.empty()  # each pass starts with an empty cache
            return gunicorn(env(url, page, parts), workdir, label)

        big_env, small_env = env(big_url, 0, 120), env(small_url, 0, 0)
        data = {"full": prepare(big_env, DIVIDE), "small": prepare(small_env, DIVIDE * 10)}
        manage(big_env, "collectstatic", "--no-input", "-v", "0")

        urls = portal_data(big_env, "urls")
        small_urls = portal_data(small_env, "urls")
        queries = portal_data(big_env, "queries", *urls.values())
        (workdir / "full").mkdir()
        (workdir / "small").mkdir()
        files = portal_data(big_env, "mixed", str(workdir / "full"))
        small_files = portal_data(small_env, "mixed", str(workdir / "small"))
        mixed_queries = portal_data(big_env, "mixed-queries", str(workdir / "full"))

        with server(big_url, "made", 0, 0) as port:
            mixed_made = mixed_test(port, files, "mixed, made", cache)
            made = load_test(port, UNCACHED_PAGES, urls, "made afresh", cache)
        with server(big_url, "production", 60, 120) as port:
            mixed_production = mixed_test(port, files, "mixed, prod", cache)
        with server(big_url, "parts", 0, 120) as port:
            mixed_parts = mixed_test(port, files, "mixed, parts", cache)
        with server(big_url, "uncached", 0, 120) as port:
            uncached = load_test(port, UNCACHED_PAGES, urls, "uncached", cache)
            log("registration storm")
            storm = registration_storm(port, big_env)
            log(
                f"storm: {storm['confirmed']} confirmed, {storm['waitlisted']} waitlisted in "
                f"{storm['seconds']:.2f} s; problems: {storm['problems'] or 'none'}"
            )
        with server(big_url, "cached", 60, 120) as port:
            cached = load_test(port, CACHED_PAGES, urls, "cached", cache)
        with server(small_url, "small", 0, 0) as port:
            small = load_test(port, SCALING_PAGES, small_urls, "1/10 data", cache)
            small_mixed = mixed_test(port, small_files, "1/10 mixed", cache)

    passes = Passes(
        uncached=uncached,
        made=made,
        cached=cached,
        storm=storm,
        mixed_production=mixed_production,
        mixed_parts=mixed_parts,
        mixed_made=mixed_made,
        small=small,
        small_mixed=small_mixed,
    )
    return report(info, data, passes, (queries, mixed_queries), previous, load_before, started)


if __name__ == "__main__":
    sys.exit(main())
