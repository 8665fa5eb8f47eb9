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
