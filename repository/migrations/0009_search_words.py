"""The vocabulary of public titles and summaries, for spelling suggestions; on PostgreSQL with a
trigram index on the words, and filled from the resources already there."""

from django.db import migrations, models

INDEX = (
    "CREATE INDEX IF NOT EXISTS repository_searchword_trgm "
    "ON repository_searchword USING gin (word gin_trgm_ops)"
)


def _index_and_fill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from repository.search import VOCABULARY_REBUILD_SQL

    schema_editor.execute(INDEX)
    schema_editor.execute(VOCABULARY_REBUILD_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("repository", "0008_protected_storage"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("documents", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "search word",
                "verbose_name_plural": "search words",
            },
        ),
        migrations.RunPython(_index_and_fill, migrations.RunPython.noop),
    ]
