"""The text and page count of uploaded PDFs, for search and for curators.

Extraction runs in a background task after the upload is committed; it never touches the upload
itself. A PDF without any text (a scanned document) is flagged for curators (`no_text`), a PDF
that cannot be read is recorded as `failed`; both keep their file. Other types are not
applicable. The text is read from storage through the storage API and capped in length.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from accounts.audit import audit_trail_record_update
from accounts.cache import content_changed
from repository.models import ResourceFile
from repository.uploads import PDF

logger = logging.getLogger(__name__)

# The text kept per file (characters); the search index keeps less than this anyway.
MAX_TEXT_CHARS = 2_000_000
# A PDF with fewer letters or digits than this per page is taken for a scan (a page number or
# two is not text).
MIN_CHARS_PER_PAGE = 3
# Non-seekable storage streams are copied to a temporary file; in memory up to this size.
SPOOL_BYTES = 10 * 1024 * 1024

Extraction = ResourceFile.Extraction


@dataclass(frozen=True)
class ExtractionResult:
    status: str
    text: str = ""
    page_count: int | None = None


def pdf_text_extract(stream) -> ExtractionResult:
    """The text (capped) and the page count of a PDF read from a binary, seekable stream."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return ExtractionResult(Extraction.FAILED)
        page_count = len(reader.pages)
    except Exception as error:  # a broken PDF raises anything from pypdf's parser
        logger.info("Unreadable PDF: %s", error)
        return ExtractionResult(Extraction.FAILED)
    parts: list[str] = []
    length = 0
    failed_pages = 0
    for page in reader.pages:
        try:
            text = page.extract_text() or ""
        except Exception as error:  # pypdf raises many kinds of errors on broken pages
            logger.info("Unreadable PDF page: %s", error)
            failed_pages += 1
            continue
        text = _clean(text)
        if text:
            parts.append(text)
            length += len(text) + 2
        if length >= MAX_TEXT_CHARS:
            break
    text = "\n\n".join(parts)[:MAX_TEXT_CHARS]
    if page_count and failed_pages == page_count:
        return ExtractionResult(Extraction.FAILED, page_count=page_count)
    if sum(character.isalnum() for character in text) < MIN_CHARS_PER_PAGE * max(page_count, 1):
        return ExtractionResult(Extraction.NO_TEXT, page_count=page_count)
    return ExtractionResult(Extraction.DONE, text=text, page_count=page_count)


def _clean(text: str) -> str:
    # PostgreSQL text holds neither NUL characters nor lone surrogates.
    text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8").strip()


def resource_file_text_extract(*, file_id: int) -> str:
    """Extract the text of one stored file and record the outcome; returns the status.

    The result is written only if the row still holds the same file, so a file replaced in the
    meantime is never given the text of the old one. Then the resource's search document is
    brought up to date.
    """
    from repository.search import resource_search_index_update

    resource_file = ResourceFile.objects.filter(pk=file_id).only(
        "pk", "resource_id", "file", "mime_type", "extraction_status", "page_count"
    )
    resource_file = resource_file.first()
    if resource_file is None:
        return "missing"
    name = resource_file.file.name
    if not name or resource_file.mime_type != PDF:
        result = ExtractionResult(Extraction.NOT_APPLICABLE)
    else:
        try:
            result = _extract_stored(resource_file)
        except OSError as error:
            logger.warning("Could not read %s from storage: %s", name, error)
            result = ExtractionResult(Extraction.FAILED)
    updated = ResourceFile.objects.filter(pk=file_id, file=name).update(
        extraction_status=result.status,
        extracted_text=result.text,
        page_count=result.page_count,
    )
    if updated:
        # The update() escapes auditlog's signals: the outcome goes in the trail (without the
        # text), with no actor when a background task ran it.
        changes = {
            field: (str(old), str(new))
            for field, old, new in (
                ("extraction_status", resource_file.extraction_status, result.status),
                ("page_count", resource_file.page_count, result.page_count),
            )
            if str(old) != str(new)
        }
        if changes:
            audit_trail_record_update(model=ResourceFile, object_ids=[file_id], changes=changes)
        resource_search_index_update(resource_ids=[resource_file.resource_id])
        content_changed("repository")  # the page count shows on the resource's page
    return str(result.status)


def _extract_stored(resource_file: ResourceFile) -> ExtractionResult:
    with resource_file.file.open("rb") as stored:
        seekable = getattr(stored, "seekable", None)
        if seekable is not None and seekable():
            return pdf_text_extract(stored)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as copy:
            for chunk in stored.chunks():
                copy.write(chunk)
            copy.seek(0)
            return pdf_text_extract(copy)


def text_extraction_queue(*, files: Iterable[ResourceFile]) -> int:
    """Mark the PDFs among `files` as waiting and queue their extraction after the commit.
    Returns how many were queued. Files that are not PDFs are marked not applicable."""
    pdf_ids = [f.pk for f in files if f.file and f.mime_type == PDF]
    other_ids = [f.pk for f in files if not (f.file and f.mime_type == PDF)]
    if other_ids:
        ResourceFile.objects.filter(pk__in=other_ids).exclude(
            extraction_status=Extraction.NOT_APPLICABLE
        ).update(extraction_status=Extraction.NOT_APPLICABLE, extracted_text="")
    if pdf_ids:
        ResourceFile.objects.filter(pk__in=pdf_ids).update(extraction_status=Extraction.PENDING)
        for file_id in pdf_ids:
            transaction.on_commit(lambda file_id=file_id: _enqueue(file_id))
    return len(pdf_ids)


def _enqueue(file_id: int) -> None:
    from repository.tasks import extract_text

    try:
        extract_text.enqueue(file_id)
    except Exception:
        # The queue is down: the file stays "waiting"; "Extract text again" in the admin retries.
        logger.exception("Could not queue the text extraction of file %s.", file_id)
