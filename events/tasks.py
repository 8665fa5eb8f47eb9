"""Background tasks of events (django-tasks): each one calls a service."""

from django_tasks import task

from events.emails import email_delivery_send


@task()
def send_email(delivery_id: int) -> str:
    return email_delivery_send(delivery_id=delivery_id)
