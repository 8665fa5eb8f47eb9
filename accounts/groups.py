"""The staff groups and what they may do.

Event managers run events, registrations and attendance and may look up users; Content editors
curate the knowledge repository and see no personal data of registrants. Permissions of models
that do not exist yet are simply skipped, and added when their app migrates.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

EVENT_MANAGERS = "Event managers"
CONTENT_EDITORS = "Content editors"

# group name -> (apps whose every permission it holds, extra permissions "app_label.codename")
STAFF_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    EVENT_MANAGERS: (("events",), ("accounts.view_user",)),
    CONTENT_EDITORS: (("repository",), ()),
}

# Within an app a group holds wholesale, models whose rows are personal data of participants and
# that a group must not see unless listed above: registrations and their history (who changed
# what, and the reasons people gave), attendance, certificates, feedback, and the emails sent to
# registrants (addresses and bodies with their names).
PERSONAL_DATA_MODELS: dict[str, set[str]] = {
    CONTENT_EDITORS: {
        "registration",
        "registrationstatuschange",
        "attendance",
        "certificate",
        "feedback",
        "emaildelivery",
    },
}


def staff_groups_sync() -> dict[str, int]:
    """Create the staff groups and add their permissions (never removes one an admin added)."""
    counts = {}
    for name, (apps, extra) in STAFF_GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        query = Q(content_type__app_label__in=apps)
        for dotted in extra:
            app_label, codename = dotted.split(".", 1)
            query |= Q(content_type__app_label=app_label, codename=codename)
        permissions = Permission.objects.filter(query).exclude(
            content_type__model__in=PERSONAL_DATA_MODELS.get(name, set())
        )
        group.permissions.add(*permissions)
        counts[name] = group.permissions.count()
    return counts
