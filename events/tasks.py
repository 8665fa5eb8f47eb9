"""Background tasks of events (django-tasks): each one calls a service."""

import logging

from django_tasks import task

from events.emails import email_delivery_send
from events.messages import message_queue_batch

logger = logging.getLogger(__name__)


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
    from django.core.cache import cache

    try:
        if cache.add("events:bitsets-asked", 1, 60):
            refresh_event_bitsets.enqueue()
    except Exception:  # the cache or the queue is unreachable: the list counts for itself
        logger.warning("Could not ask for a new build of the event list's bitsets", exc_info=True)
