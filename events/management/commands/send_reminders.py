"""Queue the reminders that are due (a few days and a few hours before each event).

Run it every few minutes (cron or a scheduler); each reminder goes out once, however often it runs.
"""

from django.core.management.base import BaseCommand

from events.emails import reminders_queue


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        queued = reminders_queue()
        self.stdout.write(", ".join(f"{kind}: {count}" for kind, count in queued.items()))
