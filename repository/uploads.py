"""Uploads of repository files that cannot hurt the people who download them.

A file is accepted for what its content is, never for its name: the first bytes (and for Office
files the parts inside the ZIP) decide. Accepted are PDF, Word/Excel/PowerPoint without macros
(.docx, .xlsx, .pptx) and PNG, JPEG and WebP images of a sane size. Everything else is refused
with a message that says what to upload instead: executables, scripts, SVG and HTML (they run
code in a browser), macro-enabled or old binary Office files, other archives.

The stored name never comes from the uploader (`resource_file_path`), and its extension is the
one of the detected type. Files reach storage only through the storage API. A file written to
storage inside `stored_files_cleanup()` is deleted again when the block fails, so that a failure
between storing the file and committing its row leaves no orphan in storage; a write that fails
halfway (a full disk) deletes the part it wrote. While the file store does not answer, an upload
is refused with a message before anything is written (`storage_available_check`).
"""

from __future__ import annotations

import hashlib
import logging
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image

from repository.storage import protected_storage, storage_unavailable

logger = logging.getLogger(__name__)

# Images larger than this are refused before their pixels are decoded (decompression bombs).
MAX_IMAGE_PIXELS = 40_000_000
# Bytes read to recognise a file.
HEAD_BYTES = 8192
# An Office file's list of parts is small; a larger one is not read (zip bombs).
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 20_000
# An Office file unpacks to at most this many times the upload limit, and no part of it to more
# than this many times its packed size (beyond a megabyte): more is a zip bomb, built to exhaust
# whatever reads it later (indexing, previews, the reader's own machine).
MAX_UNPACKED_RATIO_TO_LIMIT = 10
MAX_PART_COMPRESSION_RATIO = 100

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"

EXTENSIONS = {
    PDF: "pdf",
    DOCX: "docx",
    XLSX: "xlsx",
    PPTX: "pptx",
    PNG: "png",
    JPEG: "jpg",
    WEBP: "webp",
}

# The main part that makes an Office Open XML package a document, a workbook or a presentation.
OFFICE_MAIN_PARTS = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
    ("ppt/presentation.xml", PPTX),
)
PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", WEBP: "WEBP"}
# Windows (MZ), Linux (ELF), macOS (Mach-O, both byte orders, and universal binaries).
EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
)

ACCEPTED = _(
    "Upload a PDF, a Word, Excel or PowerPoint file (.docx, .xlsx, .pptx) or a PNG, JPEG or "
    "WebP image."
)


@dataclass(frozen=True)
class UploadInfo:
    """What an accepted upload is, found from its content."""

    mime_type: str
    extension: str
    size: int
    sha256: str
    page_count: int | None = None

    @property
    def is_pdf(self) -> bool:
        return self.mime_type == PDF


def _refuse(message, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def validate_resource_upload(file) -> UploadInfo:
    """Decide from its content whether `file` (an uploaded or any Django File) may be stored.

    Raises ValidationError with a message for the person who uploaded it; returns the detected
    type, the size and the SHA-256 (read in chunks) otherwise. The file is left at position 0.
    """
    size = _size_of(file)
    limit_mb = settings.RESOURCE_MAX_UPLOAD_MB
    if size > limit_mb * 1024 * 1024:
        raise _refuse(
            _("This file is %(size)s MB; files of at most %(limit)s MB are accepted."),
            "too_large",
            size=f"{size / (1024 * 1024):.1f}",
            limit=limit_mb,
        )
    if size == 0:
        raise _refuse(_("This file is empty."), "empty")
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    mime_type = _sniff(head)
    if mime_type == "zip":
        mime_type = _office_type(file)
    elif mime_type in PILLOW_FORMATS:
        _check_image(file, mime_type)
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return UploadInfo(
        mime_type=mime_type,
        extension=EXTENSIONS[mime_type],
        size=size,
        sha256=digest.hexdigest(),
    )


def _size_of(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    return size


def _sniff(head: bytes) -> str:
    """The type of a file from its first bytes; refuses what may run code."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(EXECUTABLE_MAGIC):
        raise _refuse(
            _("This file is a program, which is not accepted. %(accepted)s"),
            "executable",
            accepted=ACCEPTED,
        )
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse(
            _(
                "Old Office files (.doc, .xls, .ppt) may hold macros and are not accepted. Save "
                "the file as .docx, .xlsx, .pptx or PDF and upload that."
            ),
            "old_office",
        )
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"#!"):
        raise _refuse(
            _("This file is a script, which is not accepted. %(accepted)s"),
            "script",
            accepted=ACCEPTED,
        )
    if b"<svg" in text:
        raise _refuse(
            _("SVG images can hold scripts and are not accepted. Upload a PNG, JPEG or WebP."),
            "svg",
        )
    if text.startswith(b"<") or b"<html" in text or b"<script" in text:
        raise _refuse(
            _("HTML and XML files are not accepted. %(accepted)s"), "html", accepted=ACCEPTED
        )
    raise _refuse(_("This type of file is not accepted. %(accepted)s"), "type", accepted=ACCEPTED)


def _office_type(file) -> str:
    """A .docx, .xlsx or .pptx without macros or ActiveX controls; no other ZIP."""
    not_office = _refuse(
        _("ZIP archives are not accepted, only Word, Excel and PowerPoint files. %(accepted)s"),
        "zip",
        accepted=ACCEPTED,
    )
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise not_office
            _check_unpacked_size(infos)
            names = {info.filename.lower() for info in infos}
            if "[content_types].xml" not in names:
                raise not_office
            content_types_name = next(
                info.filename for info in infos if info.filename.lower() == "[content_types].xml"
            )
            with archive.open(content_types_name) as part:
                content_types = part.read(MAX_CONTENT_TYPES_BYTES + 1).lower()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        raise _refuse(
            _("This Office file is damaged and cannot be read. %(accepted)s"),
            "damaged",
            accepted=ACCEPTED,
        ) from error
    if len(content_types) > MAX_CONTENT_TYPES_BYTES:
        raise not_office
    if (
        b"macroenabled" in content_types
        or b"vbaproject" in content_types
        or any(name.endswith("vbaproject.bin") or "/activex/" in name for name in names)
    ):
        raise _refuse(
            _(
                "This Office file contains macros, which are not accepted. Save it as a .docx, "
                ".xlsx or .pptx file without macros, or as PDF, and upload that."
            ),
            "macros",
        )
    for part, mime_type in OFFICE_MAIN_PARTS:
        if part in names:
            return mime_type
    raise not_office


def _check_unpacked_size(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive that unpacks to far more than it weighs, from the sizes its directory
    declares (nothing is unpacked to find out)."""
    limit_mb = settings.RESOURCE_MAX_UPLOAD_MB
    unpacked = sum(info.file_size for info in infos)
    extreme = any(
        info.file_size > 1024 * 1024
        and info.file_size > MAX_PART_COMPRESSION_RATIO * max(info.compress_size, 1)
        for info in infos
    )
    if unpacked > MAX_UNPACKED_RATIO_TO_LIMIT * limit_mb * 1024 * 1024 or extreme:
        raise _refuse(
            _(
                "This Office file unpacks to %(size)s MB, far more than it weighs: it is refused, "
                "as files built to overload whoever opens them are. Save it again from Word, "
                "Excel or PowerPoint, or as PDF, and upload that."
            ),
            "zip_bomb",
            size=f"{unpacked / (1024 * 1024):.0f}",
        )


def _check_image(file, mime_type: str) -> None:
    """A real image of the detected format whose size is read from its header, refused before
    decoding when it has too many pixels."""
    damaged = _refuse(
        _("This image is damaged and cannot be read. %(accepted)s"), "damaged", accepted=ACCEPTED
    )
    too_large = _refuse(
        _("This image has too many pixels (more than %(limit)s million)."),
        "image_too_large",
        limit=MAX_IMAGE_PIXELS // 1_000_000,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
                if image.format != PILLOW_FORMATS[mime_type]:
                    raise damaged
                if width * height > MAX_IMAGE_PIXELS:
                    raise too_large
                # Checks the structure (and PNG checksums) without decoding the pixels.
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise too_large from error
    except ValidationError:
        raise
    except Exception as error:  # Pillow raises many kinds of errors on broken files
        raise damaged from error
    finally:
        file.seek(0)


# --- Storing -------------------------------------------------------------------------------------

# A name that is never stored: asking the store whether it exists shows whether the store answers.
PROBE_NAME = "lpa-portal-probe/never-stored"


def storage_available_check(storage: Storage | None = None) -> None:
    """Refuse an upload, with a message for the person uploading, while the file store does not
    answer: nothing is stored and no row saved. (A store that fails later, during the write, is
    answered by the 503 page; the row is then rolled back and the partial file deleted.)"""
    try:
        (storage if storage is not None else protected_storage()).exists(PROBE_NAME)
    except Exception as error:
        if not storage_unavailable(error):
            raise
        logger.error("File store unavailable, upload refused: %s: %s", type(error).__name__, error)
        raise ValidationError(
            _(
                "The file store cannot be reached at the moment, so the file was not saved. "
                "Nothing was changed; please try again in a few minutes."
            ),
            code="storage_unavailable",
        ) from error


_stored: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("stored_uploads", default=None)


@contextmanager
def stored_files_cleanup() -> Iterator[None]:
    """Delete the files stored (by `upload_store`) inside this block if the block fails.

    Wrap it around the transaction that saves the rows: when anything raises before the
    transaction committed, no file is left in storage without its row. Nested blocks hand their
    files to the enclosing block when they succeed.
    """
    outer = _stored.get()
    names: list[tuple[Storage, str]] = []
    token = _stored.set(names)
    try:
        yield
    except BaseException:
        for storage, name in names:
            try:
                storage.delete(name)
            except Exception:
                logger.exception("Could not delete the orphan upload %s", name)
        raise
    finally:
        _stored.reset(token)
    if outer is not None:
        outer.extend(names)


def upload_store(*, field_file: FieldFile, upload, info: UploadInfo) -> str:
    """Save an accepted upload to storage under a safe name with the extension of its detected
    type (the row is not saved). Returns the stored name."""
    stem = (upload.name or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rpartition(".")
    stem = slugify(stem[0] or stem[2])[:80] or "file"
    field, storage = field_file.field, field_file.storage
    # What FieldFile.save() does, but with the name known before the write: a write that fails
    # halfway (a full disk) leaves part of the file there, which is deleted here.
    name = field.generate_filename(field_file.instance, f"{stem}.{info.extension}")
    fresh = not storage.exists(name)  # a random folder: anything there after a failure is ours
    upload.seek(0)
    try:
        name = storage.save(name, upload, max_length=field.max_length)
    except BaseException:
        if fresh:
            try:
                storage.delete(name)
            except Exception:
                logger.exception("Could not delete the partly written upload %s", name)
        raise
    # The row now points at the stored file (a new, committed FieldFile).
    setattr(field_file.instance, field.attname, name)
    names = _stored.get()
    if names is not None:
        names.append((storage, name))
    return name


def stored_file_delete(*, storage: Storage, name: str) -> None:
    """Delete a stored file that no row points at any more (call it after the commit)."""
    if not name:
        return
    try:
        storage.delete(name)
    except Exception:
        logger.exception("Could not delete the stored file %s", name)
