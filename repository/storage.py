"""Where repository files are stored: apart from public images, and never reachable by a URL.

Files of resources (which may be drafts, embargoed, withdrawn or for regulators only) go to the
storage named "protected" in STORAGES; public images (event banners and their renditions) to
"default". Nothing serves the protected storage by path: the download view checks access, then
streams the file, hands it to nginx (`X-Accel-Redirect` to an internal location) or, on object
storage, to a short-lived signed URL. On a single machine the protected files live in
PROTECTED_MEDIA_ROOT (`var/protected/` by default), outside MEDIA_ROOT, which `make run` serves;
in production in a private bucket of an S3-compatible object store.

Also here: what says that the object store is unavailable (`storage_unavailable`).
"""

from __future__ import annotations

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as StoreConnectionError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

PROTECTED = "protected"


class ProtectedFileSystemStorage(FileSystemStorage):
    """Files on the local disk, in PROTECTED_MEDIA_ROOT, with no URL."""

    def __init__(self, location=None, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(location=location, **kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PROTECTED_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PROTECTED_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError(_("Protected files have no URL: they are sent by the download view."))


def protected_storage():
    """The storage of repository files (a callable, so that settings choose it at run time)."""
    return storages[PROTECTED]


def storage_unavailable(error: BaseException) -> bool:
    """Whether `error` says that the object store cannot be reached or does not answer (as
    opposed to a missing file or a refused request): no connection, a timeout, a dropped
    connection, or a server error (5xx, e.g. 503 Slow Down)."""
    if isinstance(error, StoreConnectionError | HTTPClientError):
        return True
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500
    return False
