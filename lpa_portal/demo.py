"""Demo content for a local run, composed from each app's demo module."""

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.cache import AREAS, content_changed
from accounts.demo import seed_demo_accounts
from accounts.groups import staff_groups_sync
from events.demo import seed_demo_events
from events.demo_translations import seed_demo_translations
from events.services import event_bitsets_refresh
from repository.demo import seed_demo_repository
from repository.services import facet_counts_refresh


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Load the demo content; running it again changes nothing."""
    staff_groups_sync()
    counts = {}
    counts.update(seed_demo_accounts())
    counts.update(seed_demo_repository())
    counts.update(seed_demo_events())
    counts.update(seed_demo_translations())
    # The events add made-up participants of past editions.
    counts["users"] = get_user_model().objects.count()
    for area in AREAS:
        content_changed(area)
    # The lists' bitsets, for these versions (else the lists count with SQL until a change).
    facet_counts_refresh()
    event_bitsets_refresh()
    return counts
