"""Create the staff groups (Event managers, Content editors) with their permissions.

Also run after every `migrate`; this command is for an administrator who wants to repair them.
"""

from django.core.management.base import BaseCommand

from accounts.groups import staff_groups_sync


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        for name, count in staff_groups_sync().items():
            self.stdout.write(f"{name}: {count} permissions")
