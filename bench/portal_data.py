"""The parts of the HTTP benchmark (bench/http_bench.py) that need Django, run as a subprocess with
the benchmark's settings and DATABASE_URL; each prints one JSON document on stdout.

    portal_data.py urls                      the URLs to load-test, picked from the bulk data
    portal_data.py queries URL...            SQL queries of each URL, uncached and from the cache
    portal_data.py storm-setup USERS SEATS   an open event with SEATS seats, USERS signed-in people
    portal_data.py storm-check SLUG          the registrations of that event, in arrival order
    portal_data.py mixed DIR                 files of hundreds of URLs per kind of page, for the
                                             mixed passes (each request a different URL)
    portal_data.py mixed-queries DIR         SQL queries per request of each kind, on a sample
    portal_data.py profile DIR               where the time of a request of each kind goes
"""

import itertools
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lpa_portal.settings")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import Event, Programme, Registration  # noqa: E402
from repository.models import Resource, ResourceFile  # noqa: E402

DOWNLOAD_SLUG = "bench-download"
HOST = "127.0.0.1"


def _urls() -> dict[str, str]:
    now = timezone.now()
    events = Event.objects.filter(slug__startswith="bulk-", status="published")
    # An upcoming event (its page has the registration box), else the latest one.
    event = events.filter(start__gt=now).order_by("start").first() or events.latest("start")
    resource = (
        Resource.objects.filter(slug__startswith="bulk-", status="published", access_level=0)
        .order_by("pk")
        .first()
    )
    reference = (
        Resource.objects.filter(slug__startswith="bulk-", status="published", access_level=0)
        .order_by("-pk")
        .values_list("reference_number", flat=True)
        .first()
    )
    download = _download_file()
    return {
        "floor": "/healthz",
        "home": "/en/",
        "event list, filtered": "/en/events/?when=past&format=online",
        "event page": event.get_absolute_url(),
        "search: common word": "/en/resources/?q=validation",
        "search: rare word": "/en/resources/?q=lyophilisation",
        "search: reference number": f"/en/resources/?q={reference}",
        "search: typo": "/en/resources/?q=valdation",
        "resource list": "/en/resources/",
        "resource page": resource.get_absolute_url(),
        "file download": f"/en/resources/{DOWNLOAD_SLUG}/files/{download.pk}/download/",
    }


def _download_file() -> ResourceFile:
    """A public resource with a real stored PDF of 200 KB, streamed through the storage API (the
    bulk resources' files are links elsewhere, which only redirect)."""
    resource, _created = Resource.objects.get_or_create(
        slug=DOWNLOAD_SLUG,
        defaults={
            "title": "Benchmark download",
            "kind": "guidance",
            "summary": "A file to download in the benchmark.",
            "status": "published",
            "access_level": 0,
            "publication_date": timezone.now().date(),
            "published_at": timezone.now(),
        },
    )
    existing = resource.files.first()
    if existing is not None:
        return existing
    body = b"%PDF-1.4\n" + b"%" + b"x" * 200_000 + b"\n%%EOF\n"
    resource_file = ResourceFile(
        resource=resource,
        language="en",
        mime_type="application/pdf",
        size=len(body),
        page_count=1,
        extraction_status="n/a",
    )
    resource_file.file.save("bench.pdf", ContentFile(body), save=False)
    resource_file.save()
    return resource_file


# What people type into the repository's search: one and two words of the benchmark data's
# vocabulary (every one of them in nearly every document), rarer words, typos, reference
# numbers, acronyms.
SEARCH_WORDS = [
    "quality", "manufacturing", "validation", "cleaning", "sterile", "aseptic", "process",
    "equipment", "qualification", "premises", "facility", "water", "system", "HVAC",
    "contamination", "control", "data", "integrity", "audit", "record", "documentation",
    "specification", "strategy", "stability", "batch", "release", "deviation", "investigation",
    "CAPA", "change", "risk", "assessment", "supplier", "material", "cold", "chain", "vaccine",
    "biological", "medicine", "diagnostic", "device", "inspection", "regulatory", "authority",
    "prequalification", "technology", "transfer", "upstream", "downstream", "chromatography",
    "filtration", "environmental", "monitoring", "microbiology", "laboratory", "analytical",
    "method", "training", "competence", "management", "review", "complaint", "recall",
    "labelling", "packaging", "warehouse",
]  # fmt: skip
RARE_WORDS = ["lyophilisation", "endotoxin", "nitrosamine", "isolator"]
TYPOS = [
    "valdation", "integrety", "sterlie", "contaminaton", "qualifcation", "stabilty",
    "chromatograpy", "microbiolgy", "documantation", "warehuose", "inspecton", "suplier",
]  # fmt: skip
MIXED_KINDS = {
    "event pages": 400,
    "event lists": 300,
    "searches": 400,
    "resource pages": 400,
    "resource lists": 300,
}


def _mixed(directory: str) -> dict[str, dict]:
    """For each kind of page, a file of different URLs (one a line) drawn from the bulk data,
    the same for every run (a fixed seed)."""
    import random

    rng = random.Random(2026)
    events = list(
        Event.objects.filter(status="published", slug__startswith="bulk-").values_list(
            "slug", flat=True
        )
    )
    resources = list(
        Resource.objects.filter(
            status="published", access_level=0, slug__startswith="bulk-"
        ).values_list("slug", flat=True)
    )
    references = list(
        Resource.objects.filter(status="published", slug__startswith="bulk-")
        .exclude(reference_number="")
        .values_list("reference_number", flat=True)[:2000]
    )
    programmes = list(Programme.objects.values_list("slug", flat=True))
    from repository.models import Topic

    topics = list(Topic.objects.values_list("slug", flat=True)) or ["none"]
    kinds = ["guidance", "tool", "qa_report", "report", "strategy", "recording"]

    def event_list() -> str:
        filters = {
            "when": rng.choice(["", "", "past"]),
            "programme": rng.choice(["", *programmes]),
            "format": rng.choice(["", "online", "in_person", "hybrid"]),
            "region": rng.choice(["", "", "AFRO", "AMRO", "SEARO", "EURO", "EMRO", "WPRO"]),
            "topic": rng.choice(["", "", *topics]),
            "page": rng.choice(["", "", "2", "3", "5"]),
        }
        chosen = {k: v for k, v in filters.items() if v}
        return "/en/events/?" + "&".join(f"{k}={v}" for k, v in chosen.items())

    def search() -> str:
        roll = rng.random()
        if roll < 0.45:
            query = rng.choice(SEARCH_WORDS)
        elif roll < 0.75:
            query = f"{rng.choice(SEARCH_WORDS)}+{rng.choice(SEARCH_WORDS)}"
        elif roll < 0.85:
            query = rng.choice(TYPOS)
        elif roll < 0.92:
            query = rng.choice(RARE_WORDS)
        else:
            query = rng.choice(references).replace(" ", "+")
        extra = rng.choice(["", "", "", "&page=2", f"&type={rng.choice(kinds)}"])
        return f"/en/resources/?q={query}{extra}"

    def resource_list() -> str:
        choice = rng.choice(["kind", "kind", "topic", "none"])
        page = rng.randint(1, 40)
        if choice == "kind":
            return f"/en/resources/?type={rng.choice(kinds)}&page={page}"
        if choice == "topic":
            return f"/en/resources/?topic={rng.choice(topics)}&page={page}"
        return f"/en/resources/?page={page}"

    makers = {
        "event pages": lambda: f"/en/events/{rng.choice(events)}/",
        "event lists": event_list,
        "searches": search,
        "resource pages": lambda: f"/en/resources/{rng.choice(resources)}/",
        "resource lists": resource_list,
    }
    files = {}
    for kind, count in MIXED_KINDS.items():
        urls: list[str] = []
        seen: set[str] = set()
        # Small data have fewer distinct URLs than asked for: stop after enough tries.
        for _try in range(count * 20):
            if len(urls) == count:
                break
            url = makers[kind]()
            if url not in seen:
                seen.add(url)
                urls.append(url)
        path = Path(directory) / f"{kind.replace(' ', '-')}.txt"
        path.write_text("\n".join(urls) + "\n")
        files[kind] = {"file": str(path), "urls": len(urls), "sample": urls[:3]}
    return files


def _mixed_queries(directory: str) -> dict[str, float]:
    """The mean number of SQL queries of a request of each kind (20 URLs of its file), made
    from scratch."""
    client = Client()
    means = {}
    _lists_bitsets()
    with override_settings(PAGE_CACHE_SECONDS=0, FRAGMENT_CACHE_SECONDS=0):
        for kind in MIXED_KINDS:
            urls = (Path(directory) / f"{kind.replace(' ', '-')}.txt").read_text().split()[:20]
            counts = [_count(client, url) for url in urls]
            means[kind] = sum(counts) / len(counts)
    return means


def _lists_bitsets() -> None:
    """The lists' bitsets for the cache's current content versions, as the task worker builds
    them once a list asks (a pass starts with an empty cache: the versions are new): the
    queries counted are those of the lists in their steady state."""
    from events.services import event_bitsets_refresh
    from repository.services import facet_counts_refresh

    facet_counts_refresh()
    event_bitsets_refresh()


PROFILE_URLS = 30  # per kind, after 5 not counted (a fresh process's one-off work)
BASE_PAGE = "a page of plain text (privacy)"


def _area(filename: str) -> str:
    """The part of the code a function belongs to, for the profile: the portal's app or
    Django's sub-package or another library."""
    place = filename.replace(str(ROOT) + "/", "")
    if "site-packages/" in place:
        parts = place.split("site-packages/", 1)[1].split("/")
        return "/".join(parts[:2]) if parts[0] == "django" and len(parts) > 2 else parts[0]
    if place.startswith(("accounts/", "events/", "repository/", "lpa_portal/")):
        return "portal: " + place.split("/", 1)[0]
    if place.startswith("~") or place.startswith("<"):
        return "Python built-ins"
    return "Python standard library"


def _profile(directory: str) -> dict[str, dict]:
    """Per kind of page, made from scratch, over PROFILE_URLS different URLs of its file: the
    wall time of a request, the part spent in SQL statements (measured around each execute),
    the CPU time of this process; then the same requests under cProfile (a CPU clock), the CPU
    time by part of the code (each function's own time, summed), and the portal's functions
    that take the most (cumulative)."""
    import cProfile
    import pstats
    import time

    client = Client()
    _lists_bitsets()
    result = {}
    with override_settings(PAGE_CACHE_SECONDS=0, FRAGMENT_CACHE_SECONDS=0):
        sources = {
            kind: (Path(directory) / f"{kind.replace(' ', '-')}.txt").read_text().split()
            for kind in MIXED_KINDS
        }
        # What every page pays: the middleware, the base template (header, menus, language
        # links, footer) around a page of plain text.
        sources[BASE_PAGE] = ["/en/privacy/"] * (PROFILE_URLS + 5)
        for kind, urls in sources.items():
            for url in urls[-5:]:
                client.get(url, HTTP_HOST=HOST)
            chosen = urls[:PROFILE_URLS]
            sql = {"seconds": 0.0, "count": 0}

            def timed(execute, statement, params, many, context, sql=sql):
                started = time.perf_counter()
                try:
                    return execute(statement, params, many, context)
                finally:
                    sql["seconds"] += time.perf_counter() - started
                    sql["count"] += 1

            wall = cpu = 0.0
            with connection.execute_wrapper(timed):
                for url in chosen:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    response = client.get(url, HTTP_HOST=HOST)
                    wall += time.perf_counter() - started
                    cpu += time.process_time() - started_cpu
                    assert response.status_code < 400, (url, response.status_code)
            profile = cProfile.Profile(time.process_time)
            for url in chosen:
                profile.enable()
                client.get(url, HTTP_HOST=HOST)
                profile.disable()
            stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
            areas: dict[str, float] = {}
            portal = []
            for (filename, line, name), row in stats.items():
                area = _area(filename)
                areas[area] = areas.get(area, 0.0) + row[2]  # own time
                wrapper = "middleware" in filename or "page_cache" in filename
                if area.startswith("portal") and not wrapper:
                    place = filename.replace(str(ROOT) + "/", "")
                    portal.append((row[3], f"{place}:{line} {name}"))
            profiled = sum(areas.values()) or 1.0
            portal.sort(reverse=True)
            requests = len(chosen)
            result[kind] = {
                "urls": requests,
                "wall_ms": wall / requests * 1000,
                "cpu_ms": cpu / requests * 1000,
                "sql_ms": sql["seconds"] / requests * 1000,
                "queries": sql["count"] / requests,
                "areas": sorted(
                    ((area, seconds / profiled) for area, seconds in areas.items()),
                    key=lambda item: -item[1],
                )[:10],
                "portal": [
                    {"function": where, "share": seconds / profiled}
                    for seconds, where in portal[:10]
                ],
            }
    return result


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_HOST=HOST)
    assert response.status_code < 400, (url, response.status_code)
    return len(queries)


def _queries(urls: list[str]) -> dict[str, dict[str, int | None]]:
    """Per URL: the queries of a request made from scratch (neither the page cache nor the kept
    parts of pages), of one the page cache cannot answer (its kept parts come from the cache),
    and of one it answers (each the second request, so that one-off lookups of a fresh process
    are not counted), with the cache that the benchmark's server uses."""
    counts = {}
    client = Client()
    _lists_bitsets()
    for url in urls:
        with override_settings(PAGE_CACHE_SECONDS=0, FRAGMENT_CACHE_SECONDS=0):
            _count(client, url)
            made = _count(client, url)
        with override_settings(PAGE_CACHE_SECONDS=0):
            _count(client, url)
            uncached = _count(client, url)
        with override_settings(PAGE_CACHE_SECONDS=60):
            _count(client, url)
            cached = _count(client, url)
        counts[url] = {
            "made": made,
            "uncached": uncached,
            "cached": cached if cached < uncached else None,
        }
    return counts


def _storm_setup(people: int, seats: int) -> dict:
    """An open event with `seats` seats starting in a month, and `people` bulk users who are
    signed in: their session cookies, made the way Django's login makes them."""
    programme = Programme.objects.get(slug="bulk-programme")
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    start = timezone.now() + timedelta(days=30)
    event = Event.objects.create(
        programme=programme,
        title=f"Benchmark registration storm {stamp}",
        slug=f"bench-storm-{stamp}",
        edition_year=start.year,
        summary="An event that many people register for at once.",
        format="online",
        region="GLOBAL",
        time_zone="UTC",
        start=start,
        end=start + timedelta(days=1),
        capacity=seats,
        status="published",
        published_at=timezone.now(),
    )
    users = list(
        User.objects.filter(email__endswith="@bulk.example")
        .exclude(registrations__event=event)
        .order_by("pk")[:people]
    )
    assert len(users) == people, f"only {len(users)} bulk users"
    cookies = []
    client = Client()
    for user in users:
        client.force_login(user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
        client.cookies.clear()
    return {"slug": event.slug, "url": event.get_absolute_url(), "sessions": cookies}


def _storm_check(slug: str) -> dict:
    event = Event.objects.get(slug=slug)
    rows = list(
        Registration.objects.filter(event=event)
        .order_by("created_at", "pk")
        .values("pk", "user_id", "status", "created_at", "waitlisted_at")
    )
    statuses = [row["status"] for row in rows]
    waitlisted = [row for row in rows if row["status"] == "waitlisted"]
    return {
        "total": len(rows),
        "confirmed": statuses.count("confirmed"),
        "waitlisted": len(waitlisted),
        "other": len(rows) - statuses.count("confirmed") - len(waitlisted),
        "statuses_in_arrival_order": statuses,
        # First come, first served: the arrival order is the order of the row lock, which is
        # the order of the primary keys too.
        "pk_order_is_arrival_order": [row["pk"] for row in rows] == sorted(r["pk"] for r in rows),
        "waitlist_in_arrival_order": all(
            a["waitlisted_at"] <= b["waitlisted_at"] for a, b in itertools.pairwise(waitlisted)
        )
        and all(row["waitlisted_at"] == row["created_at"] for row in waitlisted),
        "distinct_people": len({row["user_id"] for row in rows}),
    }


def main(argv: list[str]) -> None:
    command, args = argv[0], argv[1:]
    if command == "urls":
        result = _urls()
    elif command == "queries":
        result = _queries(args)
    elif command == "storm-setup":
        result = _storm_setup(int(args[0]), int(args[1]))
    elif command == "storm-check":
        result = _storm_check(args[0])
    elif command == "mixed":
        result = _mixed(args[0])
    elif command == "mixed-queries":
        result = _mixed_queries(args[0])
    elif command == "profile":
        result = _profile(args[0])
    else:
        raise SystemExit(f"unknown command {command!r}\n{__doc__}")
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
