"""Send the emails that are due: never sent (the task queue was down) or waiting for a retry;
and carry on queueing the emails of messages to registrants whose batches were interrupted.

Run it every few minutes beside `db_worker`; an email is never sent twice.
"""

from django.core.management.base import BaseCommand

from events.emails import emails_send_pending
from events.messages import messages_resume


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="At most this many emails.")

    def handle(self, *args, **options):
        resumed = messages_resume()
        if resumed:
            self.stdout.write(f"Messages resumed: {resumed}")
        outcome = emails_send_pending(limit=options["limit"])
        summary = ", ".join(f"{status}: {count}" for status, count in sorted(outcome.items()))
        self.stdout.write(summary or "Nothing to send.")
