"""Load the demo content (demo staff and users, programmes, events, resources).

Idempotent: `make run` calls it every time; existing demo rows are kept as they are.
"""

from django.core.management.base import BaseCommand

from lpa_portal.demo import seed_demo


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        counts = seed_demo()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Demo content ready: {summary}.")
