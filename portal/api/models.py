"""API tokens and the service accounts that hold them.

A token reaches one team, with one scope, until it expires or is revoked. Only the SHA-256
of its secret is kept; the visible prefix (`cpt_` and eight characters) names it on the
pages and in the audit trail.
"""

from datetime import datetime

from django.conf import settings
from django.db import models

from portal.accounts.models import Team


class Scope(models.TextChoices):
    READ = "read", "Read"
    EVIDENCE_WRITE = "evidence-write", "Read and write evidence"


class ServiceAccount(models.Model):
    """A team's non-human account (a CI pipeline, a scanner). It acts only through API
    tokens: its user has no usable password, the sign-in form refuses it, and it may never
    approve, confirm or send back anything."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="service_accounts")
    name = models.SlugField(max_length=40)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("team__name", "name")
        constraints = [
            models.UniqueConstraint(fields=("team", "name"), name="service_account_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (service account of {self.team})"


class ApiToken(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_tokens")
    # The person the token acts as, or the service account's user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)  # SHA-256 of the secret, hex
    scope = models.CharField(max_length=20, choices=Scope.choices)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("team__name", "name")
        constraints = [
            models.UniqueConstraint(
                fields=("team", "name"),
                condition=models.Q(revoked_at__isnull=True),
                name="api_token_unique_live_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def actor_label(self) -> str:
        """Who the audit trail names for everything done with the token."""
        return f"{self.name} (API token {self.prefix} of {self.user.get_username()})"

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "live" if self.expires_at > now else "expired"
