"""Background tasks of the repository (django-tasks): each one calls a service."""

from django_tasks import task

from repository.extraction import resource_file_text_extract


@task()
def extract_text(file_id: int) -> str:
    return resource_file_text_extract(file_id=file_id)
