"""Alert subscribers to the events and resources published since the last run.

Run it every few minutes (cron or a scheduler): people who chose one email per item get it on the
next run, and those who chose the weekly digest get it in the first run of each week (Monday,
UTC). Each item reaches each person once, however often it runs. With --dry-run, it only counts.
"""

from django.core.management.base import BaseCommand

from events.alerts import alerts_send


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be sent; change nothing."
        )

    def handle(self, *args, **options):
        run = alerts_send(dry_run=options["dry_run"])
        prefix = "Dry run, nothing queued. " if options["dry_run"] else ""
        self.stdout.write(prefix + run.summary())
