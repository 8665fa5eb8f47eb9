"""Background tasks of the repository (django-tasks): each one calls a service."""

import logging

from django_tasks import task

from repository.extraction import resource_file_text_extract

logger = logging.getLogger(__name__)


@task()
def extract_text(file_id: int) -> str:
    return resource_file_text_extract(file_id=file_id)


@task()
def refresh_facet_counts() -> int:
    from repository.services import facet_counts_refresh

    return facet_counts_refresh()


def facet_counts_refresh_ask() -> None:
    """Queue a new count of the list's facets, at most once a minute whoever asks."""
    from django.core.cache import cache

    try:
        if cache.add("repository:facet-counts-asked", 1, 60):
            refresh_facet_counts.enqueue()
    except Exception:  # the cache or the queue is unreachable: the list counts for itself
        logger.warning("Could not ask for a new count of the list's facets", exc_info=True)
