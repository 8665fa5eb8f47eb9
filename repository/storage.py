"""Where the repository's files are kept, and what says that the file store is unavailable.

The files of resources live in the "protected" storage (settings.STORAGES): a folder outside
MEDIA_ROOT for a local run, a private bucket of an S3-compatible object store in production.
They are never served by URL; only the download view sends them, after checking access.
"""

from __future__ import annotations

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as StoreConnectionError
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

PROTECTED = "protected"


class _ProtectedStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages[PROTECTED]


protected_storage = _ProtectedStorage()


def protected() -> _ProtectedStorage:
    """The storage of repository files (a FileField's `storage=` callable)."""
    return protected_storage


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs) -> None:
    if setting == "STORAGES":
        protected_storage._wrapped = empty


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
