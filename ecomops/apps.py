from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles_after_migrate(sender, using, **kwargs) -> None:
    # Models added by later migrations get their permissions assigned to the roles too.
    from ecomops.roles import roles_sync

    roles_sync()


class EcomOpsConfig(AppConfig):
    """Project-wide wiring: roles and permissions, health checks, shared commands."""

    name = "ecomops"
    verbose_name = "EcomOps"

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate, sender=self, dispatch_uid="ecomops-roles")
