from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from portal.audit import checks  # noqa: F401  (registers the deploy check)
