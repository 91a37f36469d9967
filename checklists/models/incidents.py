"""Whom a team tells when something goes wrong, and what happened when it did."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from checklists.models.catalog import Control, Provider
from checklists.models.credentials import Credential


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"


class IncidentContact(models.Model):
    """One person or address to tell about an incident concerning a provider, in order."""

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="incident_contacts"
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(help_text="1 is told first")
    name = models.CharField(max_length=120)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=200, help_text="the e-mail address, number or handle")
    notes = models.TextField(blank=True)
    last_verified_on = models.DateField(null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("team", "provider__name", "position")
        constraints = [
            models.UniqueConstraint(
                fields=("team", "provider", "position"), name="incident_contact_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display()})"


class IncidentSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONTAINED = "contained", "Contained"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Incident(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=IncidentSeverity.choices)
    status = models.CharField(
        max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    controls = models.ManyToManyField(Control, blank=True, related_name="incidents")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    provider_informed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-opened_at",)

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("checklists:incident_detail", args=[self.team.slug, self.pk])


class IncidentStep(models.Model):
    """A step of the incident's runbook, ticked off by someone."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("incident", "position")
        constraints = [
            models.UniqueConstraint(
                fields=("incident", "position"), name="incident_step_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TimelineKind(models.TextChoices):
    OPENED = "opened", "Opened"
    NOTE = "note", "Note"
    STATUS = "status", "Status changed"
    STEP = "step", "Runbook step done"
    INFORMED = "informed", "Provider informed"


class IncidentEntry(models.Model):
    """The incident's timeline: append-only."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=10, choices=TimelineKind.choices)
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("incident", "at", "pk")
        verbose_name_plural = "incident entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"
