"""How each person hears about what falls due: the reminder digest and the calendar feed."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly (Mondays)"


class ReminderPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    frequency = models.CharField(
        max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.DAILY
    )
    # The day the last digest was claimed: a run claims today's with a conditional update.
    last_digest_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"


class CalendarFeed(models.Model):
    """A person's iCalendar feed address. Only the token's hash is kept; the prefix lets the
    person tell their feeds apart."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("user", "-created_at")
        constraints = [
            models.UniqueConstraint(
                fields=("user",),
                condition=models.Q(revoked_at__isnull=True),
                name="calendar_feed_one_active_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.prefix}…"
