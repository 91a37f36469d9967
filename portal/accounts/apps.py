from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_global_groups(sender, **kwargs) -> None:
    from portal.accounts.services import global_groups_ensure

    global_groups_ensure()


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Teams and access"

    def ready(self) -> None:
        from portal.accounts import receivers  # noqa: F401  (connects the auth audit receivers)

        # After migrate and after a test flush alike, the reviewers and auditors groups exist.
        # They hold an audit permission too, which exists once the audit app has migrated.
        post_migrate.connect(_ensure_global_groups, sender=self.apps.get_app_config("audit"))
