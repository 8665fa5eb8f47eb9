"""An upload that fails halfway leaves neither a row nor a file, whole or partial.

tests/repository/test_uploads.py covers a failing row save after the file was stored. Here the
disk fills up while the file is being written (a real write error from the kernel: the file size
limit of this process), and the database refuses the row for real after the file was written.
"""

from __future__ import annotations

import resource
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection

from repository.models import ResourceFile
from repository.services import resource_file_add
from tests.factories import ResourceFactory
from tests.repository.test_uploads import pdf_bytes

pytestmark = pytest.mark.django_db


def stored_files() -> list[Path]:
    """Every stored file: repository files go to the protected storage, none to the public one."""
    roots = (Path(settings.PROTECTED_MEDIA_ROOT), Path(settings.MEDIA_ROOT))
    return [path for root in roots if root.exists() for path in root.rglob("*") if path.is_file()]


def large_pdf() -> bytes:
    # A valid PDF followed by padding: 1 MB, written to storage in several chunks.
    return pdf_bytes("Quality assurance of medicines") + b"%" * (1024 * 1024)


@contextmanager
def disk_full_after(limit: int):
    """Writes beyond `limit` bytes of any file of this process fail with EFBIG (as a full disk
    fails them with ENOSPC), without killing the process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_disk_that_fills_up_while_the_file_is_written_leaves_nothing():
    resource_ = ResourceFactory()
    upload = SimpleUploadedFile("guide.pdf", large_pdf(), content_type="application/pdf")
    with disk_full_after(256 * 1024), pytest.raises(OSError, match="too large"):
        resource_file_add(resource=resource_, file=upload, language="en")
    assert not ResourceFile.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_refuses_after_the_file_was_written_leaves_nothing():
    """The insert fails in the database itself (a constraint only the database checks): the
    stored file is deleted again and no row is left."""
    resource_ = ResourceFactory()
    upload = SimpleUploadedFile("guide.pdf", pdf_bytes("Annex"), content_type="application/pdf")
    table = ResourceFile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNIQUE INDEX refuse_en_files ON {table} (resource_id, language)")
    try:
        ResourceFile.objects.create(
            resource=resource_, language="en", external_url="https://x.org/a"
        )
        with pytest.raises(IntegrityError):
            resource_file_add(resource=resource_, file=upload, language="en")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX refuse_en_files")
    assert list(ResourceFile.objects.values_list("external_url", flat=True)) == ["https://x.org/a"]
    assert stored_files() == []
