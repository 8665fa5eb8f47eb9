"""PostgreSQL search: the trigram and unaccent extensions and the indexes of the search vectors.

On SQLite (local runs and the first test pass) these operations do nothing: search falls back to
plain matching there.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


def _postgres_only(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


INDEXES = [
    "CREATE INDEX IF NOT EXISTS repository_resource_search_metadata_gin "
    "ON repository_resource USING gin (search_metadata)",
    "CREATE INDEX IF NOT EXISTS repository_resource_search_full_gin "
    "ON repository_resource USING gin (search_full)",
    "CREATE INDEX IF NOT EXISTS repository_resource_title_trgm "
    "ON repository_resource USING gin (upper(title) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS repository_resource_reference_trgm "
    "ON repository_resource USING gin (upper(reference_number) gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS repository_resource_search_metadata_gin",
    "DROP INDEX IF EXISTS repository_resource_search_full_gin",
    "DROP INDEX IF EXISTS repository_resource_title_trgm",
    "DROP INDEX IF EXISTS repository_resource_reference_trgm",
]


class Migration(migrations.Migration):
    dependencies = [("repository", "0003_vocabulary_rows")]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        *[
            migrations.RunPython(_postgres_only(create), _postgres_only(drop))
            for create, drop in zip(INDEXES, DROP, strict=True)
        ],
    ]
