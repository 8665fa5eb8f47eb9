"""PostgreSQL search of Chinese: its runs of characters as overlapping pairs (the same as
`repository.search.cjk_bigrams`), which the search documents index with the `simple`
configuration, since PostgreSQL has no Chinese parser. IMMUTABLE, so that it may be indexed.

Nothing is indexed anew: the translations are new, and a resource's documents are remade when it
is saved. On SQLite this does nothing.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION repository_cjk_bigrams(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(string_agg(substr(run.text, i, 2), ' ' ORDER BY run.n, i), '')
  FROM regexp_matches(coalesce(value, ''), '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+', 'g')
       WITH ORDINALITY AS run_match(parts, n),
       LATERAL (SELECT run_match.parts[1] AS text, run_match.n AS n) AS run,
       LATERAL generate_series(1, greatest(length(run.text) - 1, 1)) AS i $$
"""
DROP = "DROP FUNCTION IF EXISTS repository_cjk_bigrams(text)"


def _postgres_only(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("repository", "0013_content_translations"),
    ]

    operations = [
        migrations.RunPython(_postgres_only(FUNCTION), _postgres_only(DROP)),
    ]
