"""Background tasks of the repository (django-tasks): each one calls a service."""

from django_tasks import task

from accounts.facet_index import build_queue
from repository.extraction import resource_file_text_extract


@task()
def extract_text(file_id: int) -> str:
    return resource_file_text_extract(file_id=file_id)


@task()
def refresh_facet_counts() -> int:
    from repository.services import facet_counts_refresh

    return facet_counts_refresh()


def facet_counts_refresh_ask() -> None:
    """Queue a new build of the list's bitsets, at most once a minute whoever asks."""
    build_queue(refresh_facet_counts, once_a_minute="repository:facet-counts-asked")
