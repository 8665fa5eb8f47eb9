"""Invite the people who attended an event that ended in the last 14 days to its short survey.

Run it daily (cron or a scheduler). Each person is invited once, however often it runs, and not
at all once they have answered. With --dry-run, it only says how many would be invited.
"""

from django.core.management.base import BaseCommand

from events.attendance import survey_invitations_queue


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the invitations that are due without queuing them.",
        )

    def handle(self, *args, **options):
        if options["dry_run"]:
            count = survey_invitations_queue(dry_run=True)
            self.stdout.write(f"Survey invitations due (dry run, none queued): {count}")
        else:
            count = survey_invitations_queue()
            self.stdout.write(f"Survey invitations queued: {count}")
