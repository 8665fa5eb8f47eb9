"""PostgreSQL search: indexes that let a search be answered from indexes rather than by reading
every search document (see repository.search).

- The two search documents are indexed together with the access level (btree_gin), so that
  "the full document where the visitor may open the content, the metadata elsewhere" is a
  condition on the indexes alone. They replace the single-column indexes of 0004.
- The lexemes of weight A (title, reference, ISBN) and of weights A and B (plus summary, topics)
  are indexed apart: ranking asks which part of the record holds the words.
- The reference key (reference number or ISBN without spaces, punctuation, accents or a leading
  "WHO") is indexed for exact matches. unaccent() is only STABLE (its rules file could change),
  so an IMMUTABLE function wraps it, the usual way to index it (should the rules ever change,
  REINDEX these two); it names the schema of the extension so as not to depend on the search
  path.
- Every search reads these indexes, and resources change seldom: new entries go straight into
  the indexes (fastupdate off) rather than into a pending list that each search would scan
  until the next vacuum.
- The years of the visible resources (a facet lists them all, whatever the search) are read
  from an index.

On SQLite these operations do nothing.
"""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations


def _postgres_only(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


KEY_FUNCTION = """
CREATE OR REPLACE FUNCTION repository_reference_key(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT regexp_replace(regexp_replace(upper({schema}.unaccent('{schema}.unaccent', value)),
    '[^A-Z0-9]', '', 'g'), '^WHO', '') $$
"""


def create_key_function(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'unaccent'"
        )
        (schema,) = cursor.fetchone()
    schema_editor.execute(KEY_FUNCTION.format(schema=schema_editor.quote_name(schema)))


DROP_KEY_FUNCTION = "DROP FUNCTION IF EXISTS repository_reference_key(text)"

INDEXES = [
    "CREATE INDEX IF NOT EXISTS repository_resource_full_level_gin "
    "ON repository_resource USING gin (access_level, search_full) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS repository_resource_metadata_level_gin "
    "ON repository_resource USING gin (access_level, search_metadata) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS repository_resource_weight_a_gin "
    "ON repository_resource USING gin (ts_filter(search_metadata, '{a}')) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS repository_resource_weight_ab_gin "
    "ON repository_resource USING gin (ts_filter(search_metadata, '{a,b}')) "
    "WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS repository_resource_reference_key "
    "ON repository_resource (repository_reference_key(reference_number))",
    "CREATE INDEX IF NOT EXISTS repository_resource_isbn_key "
    "ON repository_resource (repository_reference_key(isbn))",
    "CREATE INDEX IF NOT EXISTS repository_resource_year_visibility "
    "ON repository_resource (publication_year, status, embargo_until)",
]
DROP = [
    "DROP INDEX IF EXISTS repository_resource_full_level_gin",
    "DROP INDEX IF EXISTS repository_resource_metadata_level_gin",
    "DROP INDEX IF EXISTS repository_resource_weight_a_gin",
    "DROP INDEX IF EXISTS repository_resource_weight_ab_gin",
    "DROP INDEX IF EXISTS repository_resource_reference_key",
    "DROP INDEX IF EXISTS repository_resource_isbn_key",
    "DROP INDEX IF EXISTS repository_resource_year_visibility",
]
# Every search reads the trigram indexes of 0004: no pending list either (see above).
TRIGRAM_INDEXES = ["repository_resource_title_trgm", "repository_resource_reference_trgm"]
# Superseded by the indexes with the access level.
OLD_INDEXES = [
    "DROP INDEX IF EXISTS repository_resource_search_metadata_gin",
    "DROP INDEX IF EXISTS repository_resource_search_full_gin",
]
RESTORE_OLD_INDEXES = [
    "CREATE INDEX IF NOT EXISTS repository_resource_search_metadata_gin "
    "ON repository_resource USING gin (search_metadata)",
    "CREATE INDEX IF NOT EXISTS repository_resource_search_full_gin "
    "ON repository_resource USING gin (search_full)",
]


class Migration(migrations.Migration):
    dependencies = [("repository", "0004_search_indexes")]

    operations = [
        BtreeGinExtension(),
        migrations.RunPython(create_key_function, _postgres_only(DROP_KEY_FUNCTION)),
        *[
            migrations.RunPython(_postgres_only(create), _postgres_only(drop))
            for create, drop in zip(INDEXES, DROP, strict=True)
        ],
        *[
            migrations.RunPython(
                _postgres_only(f"ALTER INDEX IF EXISTS {index} SET (fastupdate = off)"),
                _postgres_only(f"ALTER INDEX IF EXISTS {index} RESET (fastupdate)"),
            )
            for index in TRIGRAM_INDEXES
        ],
        *[
            migrations.RunPython(_postgres_only(drop), _postgres_only(create))
            for drop, create in zip(OLD_INDEXES, RESTORE_OLD_INDEXES, strict=True)
        ],
    ]
