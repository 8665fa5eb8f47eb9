"""PostgreSQL: the published resources in the order they became public (repository.selectors
`_made_public`: published on the portal, or the end of the embargo if that came later), newest
first. The home page shows the latest three and the feeds the latest ones: an index scan that
stops after them, instead of reading and sorting every published resource.

The expression is the one Django writes for `_made_public()`: change both together. On SQLite
this does nothing.
"""

from django.db import migrations

MADE_PUBLIC = (
    "GREATEST(COALESCE(published_at, created_at), "
    "COALESCE(embargo_until, COALESCE(published_at, created_at)))"
)
CREATE = (
    "CREATE INDEX IF NOT EXISTS repository_resource_made_public "
    f"ON repository_resource (({MADE_PUBLIC}) DESC, id DESC) WHERE status = 'published'"
)
DROP = "DROP INDEX IF EXISTS repository_resource_made_public"


def _postgres_only(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("repository", "0005_search_ranking_indexes")]

    operations = [migrations.RunPython(_postgres_only(CREATE), _postgres_only(DROP))]
