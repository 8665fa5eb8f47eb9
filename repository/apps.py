from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _sqlite_functions(sender, connection, **kwargs):
    """The SQLite search compares folded text (repository.search.fold)."""
    if connection.vendor == "sqlite":
        from repository.search import fold

        connection.connection.create_function("portal_fold", 1, fold, deterministic=True)


class RepositoryConfig(AppConfig):
    name = "repository"
    verbose_name = _("Knowledge repository")

    def ready(self):
        connection_created.connect(_sqlite_functions, dispatch_uid="repository.sqlite_functions")

        from accounts.services import data_section_register, personal_data_eraser_register
        from repository.access_requests import (
            access_requests_erase_for_user,
            access_requests_export,
        )

        # A person's requests for restricted files are part of their data.
        data_section_register(name="access_requests", exporter=access_requests_export)
        personal_data_eraser_register(name="access_requests", eraser=access_requests_erase_for_user)
