"""Files, citations and structured data of repository pages."""

from __future__ import annotations

import json
import mimetypes
from urllib.parse import urlsplit

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.content_languages import translated
from repository.models import Resource, ResourceFile

register = template.Library()

FORMATS = {
    "application/pdf": "PDF",
    "application/msword": "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/zip": "ZIP",
    "text/csv": "CSV",
    "text/plain": "TXT",
    "video/mp4": "MP4",
    "audio/mpeg": "MP3",
}

# schema.org types: TRS annexes and Q&A reports are reports; the rest are creative works.
SCHEMA_TYPES = {
    Resource.Kind.GUIDANCE: "Report",
    Resource.Kind.QA_REPORT: "Report",
    Resource.Kind.REPORT: "Report",
}

# As django.utils.html.json_script: inside <script>, "</script>" or "<!--" in a string would end
# or change the element, so the characters that can start them are written as JSON escapes.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def file_format(file: ResourceFile) -> str:
    """'PDF', 'Word', … from the file's type (or its name when the type is unknown)."""
    if file.mime_type in FORMATS:
        return FORMATS[file.mime_type]
    if file.external_url and not file.file:
        return _("Link")
    name = file.file.name if file.file else ""
    guessed = mimetypes.guess_type(name)[0] or ""
    if guessed in FORMATS:
        return FORMATS[guessed]
    extension = name.rpartition(".")[2]
    return extension.upper() if extension and extension != name else _("File")


@register.simple_tag
def file_facts(file: ResourceFile) -> str:
    """'PDF, 2.1 MB, 64 pages'; for a link elsewhere, the site it leads to."""
    if file.external_url and not file.file:
        host = urlsplit(file.external_url).hostname or ""
        return _("Link to %(site)s") % {"site": host.removeprefix("www.")} if host else _("Link")
    parts = [file_format(file)]
    if file.size:
        parts.append(str(filesizeformat(file.size)).replace("\xa0", " "))
    if file.page_count:
        parts.append(
            ngettext("%(count)s page", "%(count)s pages", file.page_count)
            % {"count": file.page_count}
        )
    return ", ".join(parts)


def _date_published(resource: Resource) -> str:
    date = resource.publication_date
    if not date:
        return ""
    if resource.date_precision == Resource.DatePrecision.YEAR:
        return f"{date:%Y}"
    if resource.date_precision == Resource.DatePrecision.MONTH:
        return f"{date:%Y-%m}"
    return date.isoformat()


@register.filter
def iso_date(resource: Resource) -> str:
    """The publication date as precise as it is known: '2022', '2022-05' or '2022-05-12'."""
    return _date_published(resource)


@register.filter
def citation_date(resource: Resource) -> str:
    """The publication date for the citation_publication_date tag: as precise as it is known."""
    return _date_published(resource).replace("-", "/")


@register.simple_tag
def suggested_citation(resource: Resource) -> str:
    """The citation staff wrote, or one made in WHO's style from the record."""
    if resource.citation:
        return resource.citation
    parts = [resource.title.rstrip(".") + "."]
    publisher = resource.publisher or ""
    year = str(resource.publication_date.year) if resource.publication_date else ""
    where = "; ".join(part for part in (publisher, year) if part)
    if where:
        parts.append(
            where + (f" ({resource.reference_number})" if resource.reference_number else "") + "."
        )
    elif resource.reference_number:
        parts.append(f"({resource.reference_number}).")
    if resource.isbn:
        parts.append(f"ISBN {resource.isbn}.")
    if resource.licence:
        parts.append(_("Licence: %(licence)s.") % {"licence": resource.licence})
    return " ".join(parts)


def resource_json_ld(*, resource: Resource, url: str, languages: list[str]) -> dict:
    """The resource as schema.org data; `url` is the absolute address of its page."""
    schema_type = SCHEMA_TYPES.get(resource.kind, "CreativeWork")
    data = {
        "@context": "https://schema.org",
        "@type": schema_type,
        # As the page shows them: in its language, or the source.
        "name": translated(resource, "title").value,
        "description": translated(resource, "summary").value,
        "url": url,
        "inLanguage": languages,
    }
    identifiers = [value for value in (resource.reference_number, resource.isbn) if value]
    if identifiers:
        data["identifier"] = identifiers[0] if len(identifiers) == 1 else identifiers
    if schema_type == "Report" and resource.reference_number:
        data["reportNumber"] = resource.reference_number
    if resource.publication_date:
        data["datePublished"] = _date_published(resource)
    if resource.publisher:
        data["publisher"] = {"@type": "Organization", "name": resource.publisher}
    if resource.licence:
        data["license"] = resource.licence
    return data


def json_ld_script(data: dict) -> SafeString:
    """`<script type="application/ld+json">` holding `data`, safe to place in any HTML page."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 (escaped just above)
    )


@register.simple_tag(takes_context=True)
def resource_structured_data(context, resource: Resource, editions) -> SafeString:
    request = context["request"]
    url = request.build_absolute_uri(resource.get_absolute_url())
    languages = [edition.language for edition in editions]
    return json_ld_script(resource_json_ld(resource=resource, url=url, languages=languages))


@register.simple_tag(takes_context=True)
def download_url(context, resource: Resource, file: ResourceFile, absolute: bool = False) -> str:
    path = reverse("repository:download", kwargs={"slug": resource.slug, "file_id": file.pk})
    return context["request"].build_absolute_uri(path) if absolute else path
