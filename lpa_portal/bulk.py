"""Benchmark data at scale: users, events, sessions, registrations, resources and downloads.

Made with bulk inserts in batches so that the default scale (50,000 users, 2,000 events with
20,000 sessions, 200,000 registrations, 20,000 resources with extracted text, 500,000 downloads)
loads in minutes. Every made-up row is marked: emails end in `@bulk.example`, slugs start with
`bulk-`. Meant for PostgreSQL (`make bench`); it runs on SQLite too, slowly, for small scales.
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import OrganisationType, User
from accounts.regions import member_states, region_for_country
from events.models import Event, Programme, Registration, Session
from repository.models import (
    Audience,
    DownloadEvent,
    Language,
    ProductArea,
    Resource,
    ResourceFile,
    Topic,
)

BATCH = 5_000

WORDS = [
    "quality",
    "manufacturing",
    "validation",
    "cleaning",
    "sterile",
    "aseptic",
    "process",
    "equipment",
    "qualification",
    "premises",
    "facility",
    "water",
    "system",
    "HVAC",
    "contamination",
    "control",
    "data",
    "integrity",
    "audit",
    "trail",
    "record",
    "documentation",
    "specification",
    "control",
    "strategy",
    "stability",
    "batch",
    "release",
    "deviation",
    "investigation",
    "CAPA",
    "change",
    "control",
    "risk",
    "assessment",
    "supplier",
    "material",
    "cold",
    "chain",
    "vaccine",
    "biological",
    "medicine",
    "diagnostic",
    "device",
    "inspection",
    "regulatory",
    "authority",
    "prequalification",
    "technology",
    "transfer",
    "upstream",
    "downstream",
    "chromatography",
    "filtration",
    "fill",
    "finish",
    "environmental",
    "monitoring",
    "microbiology",
    "laboratory",
    "analytical",
    "method",
    "transfer",
    "training",
    "competence",
    "management",
    "review",
    "self",
    "inspection",
    "complaint",
    "recall",
    "labelling",
    "packaging",
    "warehouse",
]

# Every word above is in nearly every resource's text; these few are in about one text in 200
# each, so that a search for a rare word has something to find among few matches.
RARE_WORDS = ["lyophilisation", "endotoxin", "nitrosamine", "isolator"]
RARE_SHARE = 0.02


@dataclass
class Scale:
    users: int = 50_000
    events: int = 2_000
    sessions_per_event: int = 10
    registrations: int = 200_000
    resources: int = 20_000
    downloads: int = 500_000
    text_words: int = 1_500  # words of extracted text per resource file

    def divided(self, by: int) -> Scale:
        return Scale(
            users=max(self.users // by, 10),
            events=max(self.events // by, 5),
            sessions_per_event=self.sessions_per_event,
            registrations=max(self.registrations // by, 10),
            resources=max(self.resources // by, 10),
            downloads=max(self.downloads // by, 10),
            text_words=self.text_words,
        )


class Progress:
    """A progress bar on stderr: `events  [#########.........]  45%  900/2000  3.1 s`."""

    def __init__(self, label: str, total: int, stream=None, quiet: bool = False):
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.started = time.monotonic()

    def advance(self, count: int) -> None:
        self.done = min(self.done + count, self.total)
        if self.quiet:
            return
        filled = int(30 * self.done / self.total)
        bar = "#" * filled + "." * (30 - filled)
        percent = 100 * self.done // self.total
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"\r{self.label:<14}[{bar}] {percent:3d}%  {self.done}/{self.total}  {elapsed:5.1f} s"
        )
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _batched(items, size=BATCH):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_bulk(*, scale: Scale, seed: int = 1, quiet: bool = False) -> dict[str, int]:
    """Insert the benchmark data; returns how many rows of each kind were created."""
    rng = random.Random(seed)
    created: dict[str, int] = {}
    with transaction.atomic():
        created["users"] = _users(rng, scale, quiet)
        created["events"], created["sessions"] = _events(rng, scale, quiet)
        created["registrations"] = _registrations(rng, scale, quiet)
        created["resources"] = _resources(rng, scale, quiet)
        created["downloads"] = _downloads(rng, scale, quiet)
    from repository.search import search_index_rebuild

    progress = Progress("search index", 1, quiet=quiet)
    search_index_rebuild()
    progress.advance(1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return created


def _users(rng, scale, quiet) -> int:
    countries = sorted(member_states())
    types = [choice for choice, _label in OrganisationType.choices]
    password = make_password("bulk-user-password")  # one hash for all: hashing is slow by design
    start = User.objects.filter(email__endswith="@bulk.example").count()
    progress = Progress("users", scale.users, quiet=quiet)

    def rows():
        for n in range(start, start + scale.users):
            country = rng.choice(countries)
            yield User(
                email=f"user{n}@bulk.example",
                password=password,
                full_name=f"Bulk User {n}",
                organisation=f"Organisation {n % 3000}",
                organisation_type=rng.choice(types),
                job_title="Quality manager",
                country=country,
                who_region=region_for_country(country),
                preferred_language=rng.choice(["en", "en", "fr"]),
            )

    for batch in _batched(rows()):
        User.objects.bulk_create(batch)
        progress.advance(len(batch))
    return scale.users


def _events(rng, scale, quiet) -> tuple[int, int]:
    programme, _ = Programme.objects.get_or_create(
        slug="bulk-programme", defaults={"name": "Bulk benchmark programme"}
    )
    now = timezone.now()
    topics = list(Topic.objects.all()) or [
        Topic.objects.create(name="Bulk topic", slug="bulk-topic")
    ]
    audiences = list(Audience.objects.all())
    areas = list(ProductArea.objects.all())
    languages = list(Language.objects.all())
    start_index = Event.objects.filter(slug__startswith="bulk-").count()
    progress = Progress("events", scale.events, quiet=quiet)
    regions = ["GLOBAL", "AFRO", "AMRO", "SEARO", "EURO", "EMRO", "WPRO"]
    events = []
    for n in range(start_index, start_index + scale.events):
        start = now + timedelta(days=rng.randint(-1500, 400), hours=rng.randint(0, 23))
        fmt = rng.choice(["online", "online", "in_person", "hybrid"])
        events.append(
            Event(
                programme=programme,
                title=f"Bulk training {n}: {_sentence(rng, 4)}",
                slug=f"bulk-event-{n}",
                edition_year=start.year,
                summary=_sentence(rng, 25),
                description=_sentence(rng, 120),
                format=fmt,
                region=rng.choice(regions),
                city="" if fmt == "online" else "Bulk City",
                time_zone="UTC",
                start=start,
                end=start + timedelta(days=rng.randint(0, 30)),
                capacity=rng.choice([None, 50, 100, 500]),
                status="published",
                published_at=start - timedelta(days=60),
            )
        )
    for batch in _batched(events, 1000):
        Event.objects.bulk_create(batch)
        progress.advance(len(batch))
    events = list(Event.objects.filter(slug__startswith="bulk-").order_by("pk")[start_index:])
    through = {
        "topics": (Event.topics.through, "topic_id", topics),
        "audiences": (Event.audiences.through, "audience_id", audiences),
        "product_areas": (Event.product_areas.through, "productarea_id", areas),
        "languages": (Event.languages.through, "language_id", languages),
    }
    for model, column, choices in through.values():
        model.objects.bulk_create(
            [
                model(event_id=event.pk, **{column: choice.pk})
                for event in events
                for choice in rng.sample(choices, k=min(2, len(choices)))
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
    progress = Progress("sessions", len(events) * scale.sessions_per_event, quiet=quiet)

    def sessions():
        for event in events:
            for k in range(scale.sessions_per_event):
                start = event.start + timedelta(days=k * 2, hours=1)
                yield Session(
                    event=event,
                    title=f"Session {k + 1}: {_sentence(rng, 5)}",
                    start=start,
                    end=start + timedelta(hours=2),
                    topic=rng.choice(topics),
                    description=_sentence(rng, 40),
                )

    for batch in _batched(sessions()):
        Session.objects.bulk_create(batch)
        progress.advance(len(batch))
    return len(events), len(events) * scale.sessions_per_event


def _registrations(rng, scale, quiet) -> int:
    users = list(
        User.objects.filter(email__endswith="@bulk.example").values_list(
            "pk", "full_name", "organisation", "organisation_type", "country", "who_region"
        )
    )
    event_ids = list(Event.objects.filter(slug__startswith="bulk-").values_list("pk", flat=True))
    progress = Progress("registrations", scale.registrations, quiet=quiet)
    now = timezone.now()
    seen: set[tuple[int, int]] = set(
        Registration.objects.filter(event_id__in=event_ids).values_list("event_id", "user_id")
    )

    def rows():
        made = 0
        while made < scale.registrations:
            user = rng.choice(users)
            event_id = rng.choice(event_ids)
            if (event_id, user[0]) in seen:
                continue
            seen.add((event_id, user[0]))
            made += 1
            status = rng.choices(
                ["confirmed", "waitlisted", "cancelled", "pending"], weights=[80, 8, 10, 2]
            )[0]
            yield Registration(
                event_id=event_id,
                user_id=user[0],
                status=status,
                full_name=user[1],
                organisation=user[2],
                organisation_type=user[3],
                country=user[4],
                who_region=user[5],
                consent_at=now,
                waitlisted_at=now if status == "waitlisted" else None,
                attended=status == "confirmed" and rng.random() < 0.6,
            )

    for batch in _batched(rows()):
        Registration.objects.bulk_create(batch)
        progress.advance(len(batch))
    return scale.registrations


def _resources(rng, scale, quiet) -> int:
    topics = list(Topic.objects.all())
    start_index = Resource.objects.filter(slug__startswith="bulk-").count()
    kinds = [choice for choice, _label in Resource.Kind.choices]
    progress = Progress("resources", scale.resources, quiet=quiet)
    now = timezone.now()

    def rows():
        for n in range(start_index, start_index + scale.resources):
            year = rng.randint(2005, 2026)
            yield Resource(
                title=f"Bulk guidance {n}: {_sentence(rng, 6)}",
                slug=f"bulk-resource-{n}",
                kind=rng.choice(kinds),
                summary=_sentence(rng, 60),
                body=_sentence(rng, 150),
                reference_number=f"BULK/{year}/{n}",
                publication_date=now.date().replace(year=year, month=1, day=1),
                publication_year=year,
                status="published",
                access_level=rng.choices([0, 1, 2], weights=[85, 10, 5])[0],
                download_count=0,
            )

    for batch in _batched(rows(), 2000):
        Resource.objects.bulk_create(batch)
        progress.advance(len(batch))
    resources = list(
        Resource.objects.filter(slug__startswith="bulk-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )[start_index:]
    Resource.topics.through.objects.bulk_create(
        [
            Resource.topics.through(resource_id=pk, topic_id=topic.pk)
            for pk in resources
            for topic in rng.sample(topics, k=min(3, len(topics)))
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    progress = Progress("resource text", len(resources), quiet=quiet)
    # A generator of its own, so that the rest of the data is the same as without rare words.
    rare = random.Random(len(resources))

    def files():
        for pk in resources:
            text = _sentence(rng, scale.text_words)
            if rare.random() < RARE_SHARE:
                text += " " + rare.choice(RARE_WORDS)
            yield ResourceFile(
                resource_id=pk,
                language=rng.choice(["en", "en", "en", "fr"]),
                external_url=f"https://files.bulk.example/{pk}.pdf",
                mime_type="application/pdf",
                size=rng.randint(100_000, 5_000_000),
                page_count=rng.randint(4, 120),
                sha256=hashlib.sha256(str(pk).encode()).hexdigest(),
                extracted_text=text,
                extraction_status="done",
            )

    for batch in _batched(files(), 1000):
        ResourceFile.objects.bulk_create(batch)
        progress.advance(len(batch))
    return len(resources)


def _downloads(rng, scale, quiet) -> int:
    files = list(
        ResourceFile.objects.filter(resource__slug__startswith="bulk-").values_list(
            "pk", "resource_id"
        )
    )
    regions = ["", "AFRO", "AMRO", "SEARO", "EURO", "EMRO", "WPRO"]
    types = ["", *[choice for choice, _label in OrganisationType.choices]]
    now = timezone.now()
    progress = Progress("downloads", scale.downloads, quiet=quiet)

    def rows():
        for n in range(scale.downloads):
            file_id, resource_id = rng.choice(files)
            yield DownloadEvent(
                resource_id=resource_id,
                file_id=file_id,
                visitor_hash=hashlib.sha256(f"bulk-{n % 40000}".encode()).hexdigest(),
                who_region=rng.choice(regions),
                organisation_type=rng.choice(types),
                created_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 700)),
            )

    for batch in _batched(rows()):
        DownloadEvent.objects.bulk_create(batch)
        progress.advance(len(batch))
    # The stored counters follow the events, in one statement.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE repository_resource SET download_count = ("
            " SELECT COUNT(*) FROM repository_downloadevent d"
            " WHERE d.resource_id = repository_resource.id)"
            " WHERE slug LIKE 'bulk-%%'"
        )
    return scale.downloads
