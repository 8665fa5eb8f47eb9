"""File downloads: who may open a file, counting, and sending it efficiently.

A resource's files are reachable exactly when its page is (published and past any embargo, or
any resource for staff); otherwise 404. Restricted files need the access level, or a grant of
that file ("Request access"), as `Resource.can_open_files` says: anonymous visitors are sent to
sign in, signed-in visitors without either see a 403 page that says why and how to ask.

The portal checks access and counts; behind nginx it then lets the web server send the bytes
(X-Accel-Redirect to an internal location), otherwise it streams the file through the storage
API, never from a local path, since production keeps files in object storage. With the files in
a private bucket, the internal location is a signed URL of the object that lives a minute: nginx
fetches it from the store and streams it, the visitor never sees it, and the bucket stays
private. A store that does not answer gets the 503 page (from nginx, or from the portal while it
streams).
"""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from repository.models import AccessLevel, Resource, ResourceFile
from repository.services import download_record
from repository.uploads import EXTENSIONS

logger = logging.getLogger(__name__)

# Never kept by a shared cache (a proxy or CDN would go on serving a file after it was withdrawn,
# embargoed or restricted), and checked with the portal on every use, so that a change of its
# access takes effect at once; `no-transform` keeps proxies from recompressing documents.
DOWNLOAD_CACHE_CONTROL = "private, no-cache, no-transform"


def _denied_reason(level: int) -> str:
    # Translated when the page is shown, in the visitor's language.
    if level >= AccessLevel.REGULATORS:
        return _("Only verified regulators and WHO staff can open this file.")
    return _("Only registered users can open this file.")


@require_safe
def download(request, slug: str, file_id: int):
    """Send one file of a resource, or redirect to it when it is a link elsewhere."""
    resource_file = get_object_or_404(
        ResourceFile.objects.select_related("resource"), pk=file_id, resource__slug=slug
    )
    resource = resource_file.resource
    if not resource.is_visible_to(request.user):
        raise Http404
    if not resource.can_open_files(request.user, file=resource_file):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return render(
            request,
            "403.html",
            {
                "reason": _denied_reason(resource.access_level),
                "resource": resource,
                "request_access_url": reverse(
                    "repository:access_request",
                    kwargs={"slug": resource.slug, "file_id": resource_file.pk},
                ),
            },
            status=403,
        )
    if resource_file.external_url:
        response = HttpResponseRedirect(resource_file.external_url)
        response["Cache-Control"] = DOWNLOAD_CACHE_CONTROL
        _count(request, resource, resource_file)
        return response
    if not resource_file.file:
        raise Http404
    response = _file_response(resource_file)
    _count(request, resource, resource_file)
    response["Cache-Control"] = DOWNLOAD_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _count(request, resource: Resource, resource_file: ResourceFile) -> None:
    # HEAD requests (link checkers) fetch no file.
    if request.method == "GET":
        download_record(request=request, resource=resource, file=resource_file)


def download_filename(resource_file: ResourceFile) -> str:
    """What the browser saves the file as: the resource's slug, the language and the extension
    of the stored (detected) type, e.g. `who-gmp-main-principles-fr.pdf`."""
    name = resource_file.file.name
    extension = EXTENSIONS.get(resource_file.mime_type) or (
        name.rpartition(".")[2] if "." in name else ""
    )
    stem = f"{resource_file.resource.slug}-{resource_file.language}"
    return f"{stem}.{extension}" if extension else stem


def _internal_location(field_file) -> str:
    """Where nginx fetches a stored file: under the internal location, the path of the file in
    a folder, or the path and signature of a signed URL of the object (the location proxies to
    the object store)."""
    try:
        field_file.storage.path(field_file.name)
    except NotImplementedError:
        signed = urlsplit(field_file.storage.url(field_file.name))
        return settings.DOWNLOAD_INTERNAL_PREFIX + signed.path.lstrip("/") + "?" + signed.query
    return quote(settings.DOWNLOAD_INTERNAL_PREFIX + field_file.name)


def _file_response(resource_file: ResourceFile) -> HttpResponse:
    field_file = resource_file.file
    content_type = resource_file.mime_type or "application/octet-stream"
    disposition = content_disposition_header(True, download_filename(resource_file))
    mode = settings.DOWNLOAD_SENDFILE_HEADER
    if mode == "X-Accel-Redirect":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = _internal_location(field_file)
        response["Content-Disposition"] = disposition
        return response
    if mode == "X-Sendfile":
        try:
            path = field_file.storage.path(field_file.name)
        except NotImplementedError:
            path = None  # object storage: no local path, stream it below
        if path:
            response = HttpResponse(content_type=content_type)
            response["X-Sendfile"] = path
            response["Content-Disposition"] = disposition
            return response
    try:
        stream = field_file.open("rb")
    except FileNotFoundError:
        logger.error("Stored file %s of file %s is missing", field_file.name, resource_file.pk)
        raise Http404 from None
    response = FileResponse(
        stream,
        content_type=content_type,
        as_attachment=True,
        filename=download_filename(resource_file),
    )
    if not response.has_header("Content-Length"):
        with contextlib.suppress(OSError):
            response["Content-Length"] = str(field_file.size)
    return response
