"""Load benchmark data at scale (default: 50,000 users, 2,000 events, 20,000 sessions, 200,000
registrations, 20,000 resources with extracted text, 500,000 downloads), with progress bars.

`--divide 10` loads a tenth of it. Meant for PostgreSQL (`make bench`); every row is marked as
benchmark data (emails @bulk.example, slugs bulk-…).
"""

from django.core.management.base import BaseCommand

from accounts.cache import AREAS, content_changed
from events.services import event_bitsets_refresh
from lpa_portal.bulk import Scale, seed_bulk
from repository.services import facet_counts_refresh


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        defaults = Scale()
        parser.add_argument("--divide", type=int, default=1, help="Load 1/N of every count.")
        for name in ("users", "events", "registrations", "resources", "downloads"):
            parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
        parser.add_argument("--quiet", action="store_true", help="No progress bars.")

    def handle(self, *args, **options):
        scale = Scale(
            users=options["users"],
            events=options["events"],
            registrations=options["registrations"],
            resources=options["resources"],
            downloads=options["downloads"],
        ).divided(options["divide"])
        created = seed_bulk(scale=scale, quiet=options["quiet"])
        for area in AREAS:
            content_changed(area)
        # The lists' bitsets, for these versions (else the lists count with SQL until a change).
        facet_counts_refresh()
        event_bitsets_refresh()
        self.stdout.write(", ".join(f"{count} {name}" for name, count in created.items()))
