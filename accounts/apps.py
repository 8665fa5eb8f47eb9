from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_staff_groups(sender, **kwargs):
    from accounts.groups import staff_groups_sync

    staff_groups_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Permissions are created after each app migrates, so the groups are brought up to date
        # then too: a deployment always has them, with no manual step.
        post_migrate.connect(_sync_staff_groups, dispatch_uid="accounts.sync_staff_groups")
