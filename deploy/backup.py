"""Back up and restore LPA Portal: the PostgreSQL database and the two buckets of files.

    ENV_FILE=/etc/lpa-portal/env python deploy/backup.py backup [DIR]
    ENV_FILE=/etc/lpa-portal/env python deploy/backup.py restore DIR

`backup` writes into DIR (default var/backups/<UTC time>/):

- database.dump: `pg_dump -Fc` of the primary, taken in an exported snapshot, in which the rows
  of every table are counted too: the dump and the counts are the same instant, consistent
  while registrations keep coming;
- buckets/<bucket>/...: a copy of every object of the public and the protected bucket, taken
  after the dump (so every file a row of the dump names is there; a file deleted in between is
  missing: keep bucket versioning on in production);
- manifest.json: the row count of every table, and the size and SHA-256 of the dump and of
  every file.

`restore` brings a backup into the database and the buckets of the environment, which must be
fresh: it refuses, changing nothing, when the database has tables or a bucket has objects. It
checks the dump against the manifest first, restores with `pg_restore`, uploads the files, then
compares the row count of every table and the checksum of every file (read back from the store)
with the manifest, and says what differs.

The settings are the portal's (ENV_FILE or the environment): DATABASE_URL, AWS_S3_ENDPOINT_URL,
AWS_S3_REGION_NAME, AWS_S3_ADDRESSING_STYLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_STORAGE_BUCKET_NAME and AWS_PROTECTED_BUCKET_NAME. pg_dump and pg_restore of PostgreSQL 15
(or newer) must be installed (Debian: postgresql-client).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from render import read_env_file  # noqa: E402

BUCKETS = ("AWS_STORAGE_BUCKET_NAME", "AWS_PROTECTED_BUCKET_NAME")
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    pass


def settings_from_environment() -> dict[str, str]:
    """The portal's settings as its processes see them: ENV_FILE, the real environment winning."""
    values = {}
    env_file = os.environ.get("ENV_FILE")
    if env_file:
        values.update(read_env_file(Path(env_file)))
    values.update(os.environ)
    return values


def pg_tool(name: str) -> str:
    for directory in (
        Path("/usr/lib/postgresql/15/bin"),
        *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True),
    ):
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found (apt-get install postgresql-client)")
    return found


def s3_client(env: dict[str, str]):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=env.get("AWS_S3_ENDPOINT_URL") or None,
        region_name=env.get("AWS_S3_REGION_NAME") or None,
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
        config=Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": env.get("AWS_S3_ADDRESSING_STYLE") or "auto"},
        ),
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _objects(client, bucket: str) -> list[dict]:
    found = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        found += page.get("Contents", [])
    return found


def _tables(cursor) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return [name for (name,) in cursor.fetchall()]


def _counts(cursor) -> dict[str, int]:
    from psycopg2 import sql

    counts = {}
    for table in _tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


# --------------------------------------------------------------------------- backup


def backup(env: dict[str, str], target: Path) -> dict:
    """Write a backup of the database and the buckets of `env` into `target` (a new folder)."""
    import psycopg2
    from psycopg2.extensions import ISOLATION_LEVEL_REPEATABLE_READ

    if target.exists():
        raise BackupError(f"{target} exists: a backup goes into a new folder")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    started = time.monotonic()
    manifest: dict = {"created_at": datetime.now(UTC).isoformat(timespec="seconds")}

    url = env["DATABASE_URL"]
    connection = psycopg2.connect(url)
    connection.set_session(isolation_level=ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
    try:
        with connection.cursor() as cursor:
            # The dump and the counts read the same snapshot, which stays valid while this
            # transaction is open.
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            manifest["tables"] = _counts(cursor)
            dump = partial / "database.dump"
            subprocess.run(
                [
                    pg_tool("pg_dump"),
                    "-Fc",
                    "--no-owner",
                    "--no-acl",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(dump),
                    "-d",
                    url,
                ],
                check=True,
            )
    finally:
        connection.rollback()
        connection.close()
    manifest["database"] = {
        "file": "database.dump",
        "bytes": dump.stat().st_size,
        "sha256": sha256_of(dump),
    }

    client = s3_client(env)
    manifest["buckets"] = {}
    for variable in BUCKETS:
        bucket = env[variable]
        files = {}
        for item in _objects(client, bucket):
            key = item["Key"]
            local = partial / "buckets" / variable / key
            local.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, key, str(local))
            files[key] = {"bytes": local.stat().st_size, "sha256": sha256_of(local)}
        manifest["buckets"][variable] = files
    manifest["seconds"] = round(time.monotonic() - started, 1)
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    partial.rename(target)
    return manifest


# --------------------------------------------------------------------------- restore


def restore(source: Path, env: dict[str, str]) -> dict:
    """Restore the backup in `source` into the (fresh) database and buckets of `env`; returns
    what was restored and, under "problems", every difference from the manifest."""
    import psycopg2

    manifest_file = source / "manifest.json"
    if not manifest_file.is_file():
        raise BackupError(f"{source} holds no manifest.json: not a backup of deploy/backup.py")
    manifest = json.loads(manifest_file.read_text())
    dump = source / manifest["database"]["file"]
    if not dump.is_file() or sha256_of(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump} is missing or differs from the manifest; nothing was changed")
    for variable, files in manifest["buckets"].items():
        for key, expected in files.items():
            local = source / "buckets" / variable / key
            if not local.is_file() or sha256_of(local) != expected["sha256"]:
                raise BackupError(
                    f"{local} is missing or differs from the manifest; nothing was changed"
                )

    # Into fresh places only: check all of them before changing any.
    url = env["DATABASE_URL"]
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            existing = _tables(cursor)
    finally:
        connection.close()
    if existing:
        raise BackupError(
            f"the database has {len(existing)} tables: a backup is restored into a fresh, "
            "empty database; nothing was changed"
        )
    client = s3_client(env)
    present = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    for variable in BUCKETS:
        if env[variable] in present and _objects(client, env[variable]):
            raise BackupError(
                f"the bucket {env[variable]} holds objects: a backup is restored into empty "
                "buckets; nothing was changed"
            )

    started = time.monotonic()
    subprocess.run(
        [pg_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "-d", url, str(dump)],
        check=True,
    )
    for variable in BUCKETS:
        if env[variable] not in present:
            client.create_bucket(Bucket=env[variable])
        for key in manifest["buckets"].get(variable, {}):
            client.upload_file(str(source / "buckets" / variable / key), env[variable], key)
    report = verify(manifest, env)
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def verify(manifest: dict, env: dict[str, str]) -> dict:
    """Compare the database and the buckets of `env` with a backup's manifest: the row count of
    every table, and every file read back from the store."""
    import psycopg2

    problems = []
    connection = psycopg2.connect(env["DATABASE_URL"])
    try:
        with connection.cursor() as cursor:
            counts = _counts(cursor)
    finally:
        connection.close()
    for table, rows in manifest["tables"].items():
        if counts.get(table) != rows:
            problems.append(f"table {table}: {counts.get(table)} rows, the backup has {rows}")
    client = s3_client(env)
    files = 0
    for variable, expected in manifest["buckets"].items():
        stored = {item["Key"] for item in _objects(client, env[variable])}
        for key, item in expected.items():
            if key not in stored:
                problems.append(f"{env[variable]}/{key} missing")
                continue
            digest = hashlib.sha256()
            body = client.get_object(Bucket=env[variable], Key=key)["Body"]
            for chunk in iter(lambda body=body: body.read(CHUNK), b""):
                digest.update(chunk)
            if digest.hexdigest() != item["sha256"]:
                problems.append(f"{env[variable]}/{key} differs")
            files += 1
    return {
        "tables": len(manifest["tables"]),
        "rows": sum(manifest["tables"].values()),
        "files": files,
        "problems": problems,
    }


def main(argv: list[str]) -> int:
    usage = (len(argv) in (1, 2) and argv[0] == "backup") or (
        len(argv) == 2 and argv[0] == "restore"
    )
    if not usage:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    env = settings_from_environment()
    try:
        if argv[0] == "backup":
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = Path(argv[1]) if len(argv) > 1 else ROOT / "var" / "backups" / stamp
            manifest = backup(env, target)
            files = sum(len(f) for f in manifest["buckets"].values())
            print(
                f"Backup in {target}: {len(manifest['tables'])} tables, "
                f"{sum(manifest['tables'].values())} rows, "
                f"{manifest['database']['bytes'] / 1e6:.1f} MB of dump, {files} files, "
                f"in {manifest['seconds']:.0f} s."
            )
            return 0
        report = restore(Path(argv[1]), env)
    except (BackupError, subprocess.CalledProcessError, KeyError) as error:
        print(f"backup: {error}", file=sys.stderr)
        return 1
    print(
        f"Restored {report['tables']} tables ({report['rows']} rows) and {report['files']} "
        f"files in {report['seconds']:.0f} s; "
        + (
            "every count and checksum equals the backup's."
            if not report["problems"]
            else "DIFFERENCES:\n  " + "\n  ".join(report["problems"])
        )
    )
    return 0 if not report["problems"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
