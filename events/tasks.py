"""Background tasks of events (django-tasks): each one calls a service."""

from django_tasks import task

from events.emails import email_delivery_send
from events.messages import message_queue_batch


@task()
def send_email(delivery_id: int) -> str:
    return email_delivery_send(delivery_id=delivery_id)


@task()
def queue_message_batch(message_id: int) -> int:
    return message_queue_batch(message_id=message_id)
