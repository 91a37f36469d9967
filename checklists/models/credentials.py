"""The inventory of provider-issued secrets a team holds: where each is kept, never the secret."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from checklists.models.catalog import Provider


class CredentialKind(models.TextChoices):
    CLIENT_TOKEN = "client-token", "Client token"
    USER_TOKEN = "user-token", "User-token handling"
    APP_KEY = "app-key", "App Key"
    APP_SECRET = "app-secret", "AppSecret"
    API_KEY = "api-key", "API key"
    MERCHANT_KEY = "merchant-key", "Merchant key"
    CERTIFICATE = "certificate", "Certificate and private key"
    WEBHOOK_KEY = "webhook-signing-key", "Webhook signing key"
    OTHER = "other", "Other secret"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    DEVELOPMENT = "development", "Development"


class Exposure(models.TextChoices):
    UNKNOWN = "unknown", "Not checked"
    NO = "no", "No"
    YES = "yes", "Yes"


# The seeds' exposure questions, in the order the inventory asks them.
EXPOSURE_QUESTIONS = {
    "in_front_end": "Has it ever been in a front end (miniapp, web page, mobile app)?",
    "in_repository": "Has it ever been committed to a code repository?",
    "in_logs": "Has it ever been written to logs?",
    "returned_to_clients": "Has it ever been returned to clients in a response?",
}


class Credential(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="credentials")
    name = models.CharField(max_length=120)
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=CredentialKind.choices)
    environment = models.CharField(max_length=20, choices=Environment.choices)
    kept_in = models.CharField(
        max_length=300, help_text="the secrets-manager path or environment variable name"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rotation_interval_days = models.PositiveIntegerField(default=90)
    created_on = models.DateField()
    last_rotated_on = models.DateField(null=True, blank=True)
    in_front_end = models.CharField(max_length=10, choices=Exposure.choices, default="unknown")
    in_repository = models.CharField(max_length=10, choices=Exposure.choices, default="unknown")
    in_logs = models.CharField(max_length=10, choices=Exposure.choices, default="unknown")
    returned_to_clients = models.CharField(
        max_length=10, choices=Exposure.choices, default="unknown"
    )
    notes = models.TextField(blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("team", "name", "environment")
        constraints = [
            models.UniqueConstraint(
                fields=("team", "name", "environment"), name="credential_unique_name"
            ),
            models.CheckConstraint(
                condition=models.Q(rotation_interval_days__gte=1),
                name="credential_rotation_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_environment_display()})"

    def get_absolute_url(self) -> str:
        return reverse("checklists:credential_detail", args=[self.team.slug, self.pk])
