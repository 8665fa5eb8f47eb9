"""Uploads of repository files: refused by content whatever their name, nothing stored when
refused or when saving fails; PDFs' text extracted after the commit."""

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from fpdf import FPDF
from PIL import Image

from repository import extraction
from repository.extraction import MAX_TEXT_CHARS, pdf_text_extract, resource_file_text_extract
from repository.models import ResourceFile
from repository.services import resource_file_add
from repository.uploads import DOCX, PPTX, XLSX, validate_resource_upload
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


# --- Files to upload ---------------------------------------------------------------------------


def pdf_bytes(*pages: str) -> bytes:
    """A real PDF with one page per text (no text at all: one blank page with a drawing)."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages or ("",):
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
        else:
            pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def png_bytes(width=40, height=30, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims another size (what a decompression bomb looks like
    before its pixels are decoded)."""
    data = bytearray(png_bytes(1, 1))
    # IHDR follows the 8-byte signature: length (4), type (4), data (13), CRC (4).
    ihdr = bytearray(data[12:29])
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


OFFICE_MAIN = {
    DOCX: ("word/document.xml", "application/vnd.openxmlformats-officedocument."
           "wordprocessingml.document.main+xml"),
    XLSX: ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument."
           "spreadsheetml.sheet.main+xml"),
    PPTX: ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument."
           "presentationml.presentation.main+xml"),
}  # fmt: skip


def office_bytes(mime_type: str = DOCX, *, macros: bool = False) -> bytes:
    """A minimal Office Open XML package: content types, relationships and the main part."""
    part, content_type = OFFICE_MAIN[mime_type]
    if macros:
        content_type = "application/vnd.ms-word.document.macroEnabled.main+xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/officeDocument" Target="{part}"/></Relationships>',
        )
        archive.writestr(part, '<?xml version="1.0" encoding="UTF-8"?><document/>')
        if macros:
            archive.writestr(part.split("/")[0] + "/vbaProject.bin", b"\xd0\xcf\x11\xe0macros")
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type="application/pdf") -> SimpleUploadedFile:
    # The browser's content type is as unreliable as the name: here it always lies.
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> list[Path]:
    """Every stored file: repository files go to the protected storage, none to the public one."""
    roots = (Path(settings.PROTECTED_MEDIA_ROOT), Path(settings.MEDIA_ROOT))
    return [path for root in roots if root.exists() for path in root.rglob("*") if path.is_file()]


# --- Refused -----------------------------------------------------------------------------------

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
MZ = b"MZ\x90\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200
REFUSED = {
    "windows executable named report.pdf": ("report.pdf", MZ, "program"),
    "linux executable named report.pdf": ("report.pdf", ELF, "program"),
    "svg named .png": ("logo.png", SVG, "SVG"),
    "svg without xml declaration": ("logo.svg", b"<svg onload='alert(1)'></svg>", "SVG"),
    "html": ("page.pdf", HTML, "HTML"),
    "html with leading text": ("page.html", b"hello <html><script>x</script></html>", "HTML"),
    "shell script": ("run.pdf", b"#!/bin/sh\nrm -rf /\n", "script"),
    "macro-enabled word file": ("report.docx", office_bytes(macros=True), "macros"),
    "old binary office file": ("report.doc", OLE2, ".docx"),
    "zip archive": ("bundle.docx", zip_bytes(), "ZIP"),
    "plain text": ("notes.pdf", b"just some notes\n", "not accepted"),
    "empty file": ("empty.pdf", b"", "empty"),
    "decompression bomb png (header)": ("bomb.png", png_claiming(30000, 30000), "too many pixels"),
    "too many pixels, tiny file": ("big.png", png_bytes(9000, 9000, mode="1"), "too many pixels"),
    "damaged png": ("broken.png", png_bytes()[:40], "damaged"),
    "jpeg header then html": ("photo.jpg", b"\xff\xd8\xff<html>", "damaged"),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_refused_upload_stores_nothing(case):
    name, content, message = REFUSED[case]
    resource = ResourceFactory()
    with pytest.raises(ValidationError) as refused:
        resource_file_add(resource=resource, file=upload(name, content), language="en")
    assert message in " ".join(refused.value.messages)
    assert not ResourceFile.objects.exists()
    assert stored_files() == []


def test_an_oversized_file_is_refused_with_the_limit(settings):
    settings.RESOURCE_MAX_UPLOAD_MB = 1
    content = pdf_bytes("Large") + b"%" * (1024 * 1024)
    with pytest.raises(ValidationError) as refused:
        resource_file_add(
            resource=ResourceFactory(), file=upload("large.pdf", content), language="en"
        )
    assert "at most 1 MB" in refused.value.messages[0]
    assert not ResourceFile.objects.exists()
    assert stored_files() == []


# --- Accepted ----------------------------------------------------------------------------------


def test_a_pdf_is_stored_under_a_safe_name_with_its_size_and_checksum(
    django_capture_on_commit_callbacks,
):
    content = pdf_bytes("Good manufacturing practices")
    resource = ResourceFactory()
    with django_capture_on_commit_callbacks(execute=True):
        resource_file = resource_file_add(
            resource=resource,
            file=upload("../../Annex 2 (final)!.PDF", content),
            language="fr",
        )
    resource_file.refresh_from_db()
    name = resource_file.file.name
    assert name.startswith("resources/") and name.endswith("/annex-2-final.pdf")
    assert ".." not in name
    assert resource_file.mime_type == "application/pdf"
    assert resource_file.size == len(content)
    assert resource_file.sha256 == hashlib.sha256(content).hexdigest()
    assert resource_file.language == "fr"
    with resource_file.file.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("mime_type", "extension"), [(DOCX, "docx"), (XLSX, "xlsx"), (PPTX, "pptx")]
)
def test_office_files_without_macros_are_accepted(mime_type, extension):
    resource_file = resource_file_add(
        resource=ResourceFactory(), file=upload("file.bin", office_bytes(mime_type)), language="en"
    )
    assert resource_file.mime_type == mime_type
    # The stored extension is the one of the content, not of the name.
    assert resource_file.file.name.endswith(f"/file.{extension}")
    assert resource_file.extraction_status == ResourceFile.Extraction.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("fmt", "mime_type", "extension"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
def test_images_are_accepted(fmt, mime_type, extension):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 90, 160)).save(buffer, fmt)
    info = validate_resource_upload(upload("picture.pdf", buffer.getvalue()))
    assert (info.mime_type, info.extension) == (mime_type, extension)


def test_an_image_with_a_pdf_name_is_stored_as_what_it_is():
    resource_file = resource_file_add(
        resource=ResourceFactory(), file=upload("report.pdf", png_bytes()), language="en"
    )
    assert resource_file.mime_type == "image/png"
    assert resource_file.file.name.endswith("/report.png")


def test_a_link_stores_no_file():
    resource_file = resource_file_add(
        resource=ResourceFactory(),
        external_url="https://www.who.int/publications/i/item/9789240001824",
        language="en",
    )
    assert resource_file.external_url and not resource_file.file
    assert stored_files() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "either a file or an external link"),
        (
            {"file": "pdf", "external_url": "https://www.who.int/"},
            "either a file or an external link",
        ),
        ({"external_url": "javascript:alert(1)"}, "valid URL"),
        ({"external_url": "https://www.who.int/", "language": "de"}, "six languages"),
    ],
)
def test_bad_file_rows_are_refused(kwargs, message):
    if kwargs.get("file") == "pdf":
        kwargs["file"] = upload("a.pdf", pdf_bytes("A"))
    kwargs.setdefault("language", "en")
    with pytest.raises(ValidationError) as refused:
        resource_file_add(resource=ResourceFactory(), **kwargs)
    assert message in " ".join(refused.value.messages)
    assert not ResourceFile.objects.exists()
    assert stored_files() == []


# --- Failure halfway ---------------------------------------------------------------------------


def test_a_failure_after_the_file_was_stored_leaves_no_file(django_capture_on_commit_callbacks):
    resource = ResourceFactory()
    with (
        mock.patch.object(ResourceFile, "save", side_effect=RuntimeError("database went away")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        resource_file_add(
            resource=resource, file=upload("a.pdf", pdf_bytes("Lost text")), language="en"
        )
    assert stored_files() == []
    assert not ResourceFile.objects.exists()
    assert callbacks == []  # no extraction queued for a row that does not exist


# --- Text extraction ---------------------------------------------------------------------------


def test_text_and_pages_of_a_pdf_are_extracted_after_the_commit(
    django_capture_on_commit_callbacks,
):
    resource = ResourceFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resource_file = resource_file_add(
            resource=resource,
            file=upload("qa.pdf", pdf_bytes("Sterility assurance", "Cleaning validation")),
            language="en",
        )
    resource_file.refresh_from_db()
    assert resource_file.extraction_status == ResourceFile.Extraction.PENDING
    assert resource_file.extracted_text == ""
    indexed = []
    with mock.patch(
        "repository.search.resource_search_index_update",
        side_effect=lambda *, resource_ids: indexed.append(list(resource_ids)),
    ):
        for callback in callbacks:
            callback()
    resource_file.refresh_from_db()
    assert resource_file.extraction_status == ResourceFile.Extraction.DONE
    assert "Sterility assurance" in resource_file.extracted_text
    assert "Cleaning validation" in resource_file.extracted_text
    assert resource_file.page_count == 2
    # Once for the new file, once for its extracted text.
    assert indexed == [[resource.pk], [resource.pk]]


def test_a_pdf_without_text_is_flagged_not_failed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resource_file = resource_file_add(
            resource=ResourceFactory(), file=upload("scan.pdf", pdf_bytes("", "")), language="en"
        )
    resource_file.refresh_from_db()
    assert resource_file.extraction_status == ResourceFile.Extraction.NO_TEXT
    assert resource_file.page_count == 2
    assert resource_file.extracted_text == ""


def test_a_broken_pdf_is_recorded_as_failed_and_kept(django_capture_on_commit_callbacks):
    content = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is not a PDF\n%%EOF"
    with django_capture_on_commit_callbacks(execute=True):
        resource_file = resource_file_add(
            resource=ResourceFactory(), file=upload("broken.pdf", content), language="en"
        )
    resource_file.refresh_from_db()
    assert resource_file.extraction_status == ResourceFile.Extraction.FAILED
    assert len(stored_files()) == 1
    with resource_file.file.open("rb") as stored:
        assert stored.read() == content


def test_other_types_are_not_extracted(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resource_file = resource_file_add(
            resource=ResourceFactory(), file=upload("a.png", png_bytes()), language="en"
        )
    assert resource_file.extraction_status == ResourceFile.Extraction.NOT_APPLICABLE
    with mock.patch("repository.extraction._enqueue") as enqueue:
        for callback in callbacks:
            callback()
    enqueue.assert_not_called()


def test_the_extracted_text_is_capped():
    text = "word " * 400
    with mock.patch("repository.extraction.MAX_TEXT_CHARS", 1000):
        result = pdf_text_extract(io.BytesIO(pdf_bytes(*[text] * 5)))
    assert result.status == ResourceFile.Extraction.DONE
    assert len(result.text) <= 1000
    assert result.page_count >= 5
    assert MAX_TEXT_CHARS >= 1_000_000


def test_text_of_a_replaced_file_is_not_written_to_the_new_one():
    resource_file = resource_file_add(
        resource=ResourceFactory(), file=upload("a.pdf", pdf_bytes("Old text")), language="en"
    )
    extract = extraction._extract_stored

    def replaced_meanwhile(row):
        result = extract(row)
        ResourceFile.objects.filter(pk=row.pk).update(file="resources/other/new.pdf")
        return result

    with mock.patch("repository.extraction._extract_stored", side_effect=replaced_meanwhile):
        resource_file_text_extract(file_id=resource_file.pk)
    resource_file.refresh_from_db()
    assert resource_file.extracted_text == ""
    assert resource_file.extraction_status == ResourceFile.Extraction.PENDING


@pytest.mark.postgres
def test_extracted_text_is_searchable(django_capture_on_commit_callbacks):
    from django.contrib.auth.models import AnonymousUser

    from repository.models import Resource
    from repository.search import search_filter

    resource = ResourceFactory()
    ResourceFactory(title="Another guide")
    with django_capture_on_commit_callbacks(execute=True):
        resource_file_add(
            resource=resource,
            file=upload("a.pdf", pdf_bytes("The quokka protocol for cleanrooms")),
            language="en",
        )
    found = search_filter(queryset=Resource.objects.all(), query="quokka", user=AnonymousUser())
    assert list(found) == [resource]
