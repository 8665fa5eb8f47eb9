"""PostgreSQL: the resources newest first (the list's default order, repository.selectors
ORDERINGS["newest"]) with what the list counts its facets by (status and embargo, for what is
visible; kind; year), so that the list without search words reads them from the index alone,
in order, rather than reading and sorting the whole resource table. On SQLite this does nothing.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS repository_resource_newest "
    "ON repository_resource (publication_date DESC NULLS LAST, id DESC) "
    "INCLUDE (status, embargo_until, kind, publication_year)"
)
DROP = "DROP INDEX IF EXISTS repository_resource_newest"


def _postgres_only(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("repository", "0006_made_public_index")]

    operations = [migrations.RunPython(_postgres_only(CREATE), _postgres_only(DROP))]
