"""Recompute the full-text search documents of every resource.

The documents are kept current on every change; run this after restoring a database, changing
the search configuration, or upgrading PostgreSQL. Does nothing on SQLite (no index there).
"""

from django.core.management.base import BaseCommand

from repository.search import search_index_rebuild


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        count = search_index_rebuild()
        self.stdout.write(f"Search documents of {count} resources rebuilt.")
