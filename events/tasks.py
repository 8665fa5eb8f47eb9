"""Background tasks of events (django-tasks): each one calls a service."""

from django_tasks import task

from accounts.facet_index import build_queue
from events.emails import email_delivery_send
from events.messages import message_queue_batch


@task()
def send_email(delivery_id: int) -> str:
    return email_delivery_send(delivery_id=delivery_id)


@task()
def queue_message_batch(message_id: int) -> int:
    return message_queue_batch(message_id=message_id)


@task()
def refresh_event_bitsets() -> int:
    from events.services import event_bitsets_refresh

    return event_bitsets_refresh()


def event_bitsets_refresh_ask() -> None:
    """Queue a new build of the event list's bitsets, at most once a minute whoever asks."""
    build_queue(refresh_event_bitsets, once_a_minute="events:bitsets-asked")
