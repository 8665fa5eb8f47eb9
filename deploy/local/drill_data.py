"""What the failure drills (deploy/local/drills.py) need from the portal's data, run as a process
of the portal with the topology's settings (ENV_FILE); each command prints one JSON document.

    drill_data.py people TAG COUNT        COUNT signed-in people: their emails and session cookies
    drill_data.py staff-session           a session of the demo superuser
    drill_data.py event TAG SEATS         an event open for registration with SEATS seats
    drill_data.py registrations SLUG      the event's registrations in arrival order, and emails
    drill_data.py resources TITLE         the resources of that title and their files
    drill_data.py stored-files            every stored repository file: name, size, SHA-256
"""

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lpa_portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import EmailDelivery, Event, Programme, Registration  # noqa: E402
from repository.models import Resource, ResourceFile  # noqa: E402

DOMAIN = "drills.example"


def session_of(user: User) -> str:
    """A session made the way Django's login makes it."""
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def people(tag: str, count: int) -> list[dict]:
    """People who signed in."""
    users = []
    for n in range(count):
        user, _created = User.objects.get_or_create(
            email=f"{tag}-{n}@{DOMAIN}",
            defaults={
                "full_name": f"Drill person {tag} {n}",
                "organisation": "Drill manufacturer",
                "organisation_type": "manufacturer",
                "country": "KE",
                "privacy_accepted_at": timezone.now(),
            },
        )
        users.append(user)
    return [{"email": user.email, "session": session_of(user)} for user in users]


def event(tag: str, seats: int) -> dict:
    start = timezone.now() + timedelta(days=30)
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    created = Event.objects.create(
        programme=Programme.objects.order_by("pk").first(),
        title=f"Failure drill {tag} {stamp}",
        slug=f"drill-{tag}-{stamp}",
        edition_year=start.year,
        summary="An event of the failure drills.",
        format="online",
        region="GLOBAL",
        time_zone="UTC",
        start=start,
        end=start + timedelta(days=1),
        capacity=seats,
        status="published",
        published_at=timezone.now(),
    )
    return {"slug": created.slug, "url": created.get_absolute_url(), "pk": created.pk}


def registrations(slug: str) -> dict:
    rows = list(
        Registration.objects.filter(event__slug=slug)
        .order_by("created_at", "pk")
        .values("pk", "user__email", "status", "created_at", "waitlisted_at")
    )
    emails = (
        EmailDelivery.objects.filter(registration__event__slug=slug)
        .values("registration_id")
        .annotate(queued=Count("pk"), sent=Count("pk", filter=Q(status="sent")))
    )
    by_registration = {row["registration_id"]: row for row in emails}
    return {
        "rows": [
            {
                "pk": row["pk"],
                "email": row["user__email"],
                "status": row["status"],
                "created_at": row["created_at"],
                "waitlisted_at": row["waitlisted_at"],
                "emails_queued": by_registration.get(row["pk"], {}).get("queued", 0),
                "emails_sent": by_registration.get(row["pk"], {}).get("sent", 0),
            }
            for row in rows
        ]
    }


def resources(title: str) -> dict:
    found = Resource.objects.filter(title=title)
    return {
        "resources": found.count(),
        "files": ResourceFile.objects.filter(resource__in=found).count(),
        "names": list(
            ResourceFile.objects.filter(resource__in=found).values_list("file", flat=True)
        ),
    }


def stored_files() -> list[dict]:
    return list(
        ResourceFile.objects.exclude(file="").order_by("pk").values("pk", "file", "size", "sha256")
    )


def main(argv: list[str]) -> None:
    command, args = argv[0], argv[1:]
    if command == "people":
        result = people(args[0], int(args[1]))
    elif command == "staff-session":
        result = {"session": session_of(User.objects.get(email="staff@lpa-portal.example"))}
    elif command == "event":
        result = event(args[0], int(args[1]))
    elif command == "registrations":
        result = registrations(args[0])
    elif command == "resources":
        result = resources(args[0])
    elif command == "stored-files":
        result = stored_files()
    else:
        raise SystemExit(f"unknown command {command!r}\n{__doc__}")
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
