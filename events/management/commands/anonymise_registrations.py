"""Anonymise the registrations of events that ended longer ago than the retention period.

Clears the answers, names, organisations and job titles; keeps what the reports count. Run it
daily; a registration is anonymised once.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from events.privacy import registrations_anonymise


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.REGISTRATION_RETENTION_DAYS,
            help="Events that ended more than this many days ago (default: "
            "REGISTRATION_RETENTION_DAYS, %(default)s).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count; change nothing.")

    def handle(self, *args, **options):
        try:
            count = registrations_anonymise(
                older_than_days=options["older_than_days"], dry_run=options["dry_run"]
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["dry_run"]:
            self.stdout.write(f"{count} registrations would be anonymised.")
        else:
            self.stdout.write(f"{count} registrations anonymised.")
