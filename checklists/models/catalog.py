"""The control catalog: providers' guidelines as controls, mapped to OWASP."""

from django.db import models
from django.urls import reverse


class Provider(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    docs_url = models.URLField(blank=True)
    incident_email = models.EmailField(blank=True)
    incident_instructions = models.TextField(blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("checklists:provider_detail", args=[self.slug])


class SourceKind(models.TextChoices):
    PROVIDER_GUIDE = "provider-guide", "Provider guideline"
    STANDARD = "standard", "Standard"


class Source(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="sources"
    )
    version = models.CharField(max_length=40, blank=True)
    url = models.URLField(blank=True)
    seed = models.CharField(max_length=100, blank=True, help_text="the source document's file name")
    attribution = models.TextField(blank=True)

    class Meta:
        ordering = ("kind", "title")

    def __str__(self) -> str:
        return self.title


class OwaspStandard(models.TextChoices):
    ASVS = "asvs-4.0.3", "OWASP ASVS 4.0.3"
    TOP10 = "top10-2021", "OWASP Top 10 2021"
    API_TOP10 = "api-top10-2023", "OWASP API Security Top 10 2023"


class OwaspReference(models.Model):
    standard = models.CharField(max_length=20, choices=OwaspStandard.choices)
    code = models.CharField(max_length=20, unique=True, help_text="V2.1.1, A07:2021, API2:2023")
    title = models.TextField()
    section = models.CharField(max_length=120, blank=True, help_text="ASVS chapter and section")
    asvs_level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="lowest ASVS level that requires it"
    )
    cwe = models.CharField(max_length=20, blank=True)
    url = models.URLField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("standard", "position")
        verbose_name = "OWASP reference"

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("checklists:owasp_detail", args=[self.code])


class EquivalenceGroup(models.Model):
    """Controls of several providers that state the same requirement: answered once."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ("title",)

    def __str__(self) -> str:
        return self.title


class Category(models.TextChoices):
    CREDENTIALS = "credentials", "Credentials"
    AUTHENTICATION = "authentication", "Authentication"
    AUTHORIZATION = "authorization", "Authorization"
    SESSION_MANAGEMENT = "session-management", "Session management"
    PRIVACY = "privacy", "Privacy"
    TRANSPORT = "transport", "Transport"
    DATA_AT_REST = "data-at-rest", "Data at rest"
    LOGGING = "logging", "Logging"
    ERROR_HANDLING = "error-handling", "Error handling"
    PAYMENT_VERIFICATION = "payment-verification", "Payment verification"
    ANTI_FRAUD = "anti-fraud", "Anti-fraud"
    SECURE_DEVELOPMENT = "secure-development", "Secure development"
    OPERATIONS = "operations", "Operations"
    INCIDENT_RESPONSE = "incident-response", "Incident response"
    COMPLIANCE = "compliance", "Compliance"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


APPLIES_TO = ("miniapp-frontend", "backend", "platform-operations", "payment-flow")

# Strictest first: the member of an equivalence group that carries the answer.
SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class RecurrenceSetBy(models.TextChoices):
    PROVIDER = "provider", "the provider's rule"
    CATALOG = "catalog", "the catalog's choice"


class ObligationKind(models.TextChoices):
    """The recurring duties a team keeps; a recurring control names the one it implies."""

    PASSWORD_ROTATION = "password-rotation", "Password rotation"
    KEY_ROTATION = "key-rotation", "Key rotation"
    ACCESS_REVIEW = "access-review", "Access review"
    CONTACT_VERIFICATION = "contact-verification", "Incident-contact verification"
    SECURITY_AUDIT = "security-audit", "Security audit"
    VULNERABILITY_SCAN = "vulnerability-scan", "Vulnerability scan"
    DR_TEST = "dr-test", "Disaster-recovery test"
    CUSTOM = "custom", "Other recurring duty"


class Control(models.Model):
    ref = models.CharField(max_length=40, unique=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="controls")
    section = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    requirement = models.TextField()
    category = models.CharField(max_length=30, choices=Category.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_reason = models.TextField()
    applies_to = models.JSONField(default=list)
    evidence_guidance = models.TextField()
    recurrence_days = models.PositiveIntegerField(null=True, blank=True)
    # Whether the provider's guide names the interval or the catalog chose one for a duty the
    # guide only calls regular.
    recurrence_set_by = models.CharField(max_length=10, choices=RecurrenceSetBy.choices, blank=True)
    # The team's recurring duty that keeps a recurring control met.
    obligation_kind = models.CharField(max_length=30, choices=ObligationKind.choices, blank=True)
    # The guide implies this duty (it follows from one the guide states) without stating it.
    derived = models.BooleanField(default=False)
    owasp = models.ManyToManyField(OwaspReference, blank=True, related_name="controls")
    equivalence_group = models.ForeignKey(
        EquivalenceGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="controls"
    )
    retired = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0, help_text="order within its source")

    class Meta:
        ordering = ("source", "position")
        indexes = [
            # The catalog list filters active controls by category and severity.
            models.Index(fields=("retired", "category"), name="control_retired_category_idx"),
            models.Index(fields=("retired", "severity"), name="control_retired_severity_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recurrence_days__isnull=True, recurrence_set_by="")
                | (models.Q(recurrence_days__isnull=False) & ~models.Q(recurrence_set_by="")),
                name="control_recurrence_has_origin",
            ),
            models.CheckConstraint(
                condition=models.Q(recurrence_days__isnull=True, obligation_kind="")
                | (models.Q(recurrence_days__isnull=False) & ~models.Q(obligation_kind="")),
                name="control_recurrence_has_obligation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("checklists:control_detail", args=[self.ref])

    @property
    def recurrence_label(self) -> str:
        """ "CodePay requires it every 90 days" or "the catalog suggests every 365 days"."""
        if not self.recurrence_days:
            return ""
        every = f"every {self.recurrence_days} days"
        if self.recurrence_set_by == RecurrenceSetBy.PROVIDER and self.source.provider_id:
            return f"{self.source.provider.name} requires it {every}"
        return f"the catalog suggests {every} (the guide gives no interval)"
