"""What the API shows and takes. Serializers only shape and validate input; the services
decide (see portal/api/views)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from checklists import rules
from checklists.models import (
    AnswerStatus,
    Category,
    Evidence,
    EvidenceKind,
    ExportStatus,
    ObligationKind,
    ReportKind,
    ReviewState,
    Severity,
)
from checklists.schedule import Status, status_of

OCCURRENCE_STATUSES = [(status.value, status.label) for status in Status]


def api_url(context: dict, name: str, *args) -> str:
    """An absolute address of the API (or of a page) for the request being answered."""
    url = reverse(name, args=args)
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


# --- Teams -----------------------------------------------------------------------------------


class TeamSerializer(serializers.Serializer):
    slug = serializers.SlugField(help_text="The team's address in the portal and the API.")
    name = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="This team in the API.")
    checklists_url = serializers.SerializerMethodField()
    due_url = serializers.SerializerMethodField()
    reports_url = serializers.SerializerMethodField()

    def get_url(self, team) -> str:
        return api_url(self.context, "api:team_detail", team.slug)

    def get_checklists_url(self, team) -> str:
        return api_url(self.context, "api:checklist_list", team.slug)

    def get_due_url(self, team) -> str:
        return api_url(self.context, "api:team_due", team.slug)

    def get_reports_url(self, team) -> str:
        return api_url(self.context, "api:report_list", team.slug)


class TeamDetailSerializer(TeamSerializer):
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=["view", "attest", "review", "manage", "export"]),
        help_text="What the caller may do on the team (a read token can still only read).",
    )
    current_period = serializers.CharField(
        allow_null=True, help_text="The period of the team's latest checklist, if it has one."
    )


# --- Checklists ------------------------------------------------------------------------------


class ProviderSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Controls in the checklist.")
    answered = serializers.IntegerField(help_text="Answered (in any review state).")
    approved = serializers.IntegerField(help_text="Approved and current.")
    stale = serializers.IntegerField(
        help_text="Approved, but the duty that keeps the approval current fell overdue."
    )


class ProgressRowSerializer(ProgressSerializer):
    name = serializers.CharField(help_text="The provider (or source), or the category.")


class ChecklistSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="A quarter, e.g. 2026-Q4.")
    providers = ProviderSerializer(many=True, source="providers.all")
    asvs_level = serializers.IntegerField(help_text="0: no ASVS baseline; 1 or 2: its level.")
    created_at = serializers.DateTimeField()
    progress = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    answers_url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField(help_text="The checklist's page in the portal.")

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, checklist) -> dict:
        return self.context["progress"][checklist.pk]

    def get_url(self, checklist) -> str:
        return api_url(self.context, "api:checklist_detail", checklist.team.slug, checklist.period)

    def get_answers_url(self, checklist) -> str:
        return api_url(self.context, "api:answer_list", checklist.team.slug, checklist.period)

    def get_web_url(self, checklist) -> str:
        return api_url(
            self.context, "checklists:checklist_detail", checklist.team.slug, checklist.period
        )


class ChecklistDetailSerializer(ChecklistSerializer):
    progress_by_provider = serializers.SerializerMethodField()
    progress_by_category = serializers.SerializerMethodField()

    @extend_schema_field(ProgressRowSerializer(many=True))
    def get_progress_by_provider(self, checklist) -> list[dict]:
        return self.context["progress_rows"]["provider"]

    @extend_schema_field(ProgressRowSerializer(many=True))
    def get_progress_by_category(self, checklist) -> list[dict]:
        return self.context["progress_rows"]["category"]


# --- Answers and evidence --------------------------------------------------------------------


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    name = serializers.CharField(
        source="__str__", help_text="The file's name as kept, or the link."
    )
    description = serializers.CharField()
    url = serializers.URLField(help_text="The link, for link evidence; empty for files.")
    size = serializers.IntegerField(allow_null=True, help_text="Bytes, for files.")
    sha256 = serializers.CharField(help_text="SHA-256 of the file as uploaded, for files.")
    content_type = serializers.CharField(help_text="The type read from the file's content.")
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    expired = serializers.BooleanField(source="is_expired")
    uploaded_by = serializers.SerializerMethodField()
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(
        help_text="Where a signed-in person downloads the file in the portal (audited)."
    )

    def get_uploaded_by(self, evidence: Evidence) -> str:
        return evidence.uploaded_by.get_username()

    def get_download_url(self, evidence: Evidence) -> str | None:
        if evidence.kind != EvidenceKind.FILE:
            return None
        return api_url(
            self.context, "checklists:evidence_download", self.context["team"].slug, evidence.pk
        )


class AnswerSerializer(serializers.Serializer):
    ref = serializers.CharField(source="control.ref", help_text="The control's reference.")
    title = serializers.CharField(source="control.title")
    provider = serializers.SerializerMethodField(help_text="The provider's slug; null for ASVS.")
    severity = serializers.ChoiceField(source="control.severity", choices=Severity.choices)
    category = serializers.ChoiceField(source="control.category", choices=Category.choices)
    state = serializers.ChoiceField(
        source="progress_state",
        choices=rules.ProgressState.choices,
        help_text="Where the answer stands, as the checklist page shows it.",
    )
    status = serializers.ChoiceField(
        source="effective_status",
        choices=AnswerStatus.choices,
        help_text="The answer given (through its group's carrier, if answered there).",
    )
    review_state = serializers.ChoiceField(
        source="effective_review_state", choices=ReviewState.choices
    )
    owner = serializers.SerializerMethodField()
    due_date = serializers.DateField(allow_null=True, help_text="When the team wants it done.")
    next_review_due = serializers.DateField(
        source="effective_next_review_due",
        allow_null=True,
        help_text="For recurring controls: when the approval goes stale.",
    )
    version = serializers.IntegerField(
        help_text="Give it as expected_version when uploading, to refuse a stale upload."
    )
    answered_through = serializers.SerializerMethodField(
        help_text="The control of the same group that carries this answer, if any."
    )
    url = serializers.SerializerMethodField()
    evidence_url = serializers.SerializerMethodField(help_text="List (GET) or upload (POST).")
    web_url = serializers.SerializerMethodField()

    def get_provider(self, answer) -> str | None:
        provider = answer.control.source.provider
        return provider.slug if provider else None

    def get_owner(self, answer) -> str | None:
        carrier = answer.satisfied_through
        return _username(carrier.owner if carrier else answer.owner)

    def get_answered_through(self, answer) -> str | None:
        carrier = answer.satisfied_through
        return carrier.control.ref if carrier else None

    def _address(self, answer) -> tuple[str, str, str]:
        """The answer's team, period and reference, from the context (one checklist per list)."""
        return self.context["team"].slug, self.context["checklist"].period, answer.control.ref

    def get_url(self, answer) -> str:
        return api_url(self.context, "api:answer_detail", *self._address(answer))

    def get_evidence_url(self, answer) -> str:
        return api_url(self.context, "api:answer_evidence", *self._address(answer))

    def get_web_url(self, answer) -> str:
        return api_url(self.context, "checklists:attestation_detail", *self._address(answer))


class AnswerDetailSerializer(AnswerSerializer):
    requirement = serializers.CharField(source="control.requirement")
    evidence_guidance = serializers.CharField(source="control.evidence_guidance")
    statement = serializers.SerializerMethodField()
    justification = serializers.SerializerMethodField()
    attested_by = serializers.SerializerMethodField()
    attested_at = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField(
        help_text="The evidence that counts for the answer (its carrier's, when answered "
        "through another control); withdrawn evidence is left out."
    )

    def _answer(self, answer):
        return answer.satisfied_through or answer

    def get_statement(self, answer) -> str:
        return self._answer(answer).statement

    def get_justification(self, answer) -> str:
        return self._answer(answer).justification

    def get_attested_by(self, answer) -> str | None:
        return _username(self._answer(answer).attested_by)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_attested_at(self, answer):
        attested_at = self._answer(answer).attested_at
        return attested_at.isoformat() if attested_at else None

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, answer) -> list[dict]:
        evidence = [link.evidence for link in self.context["evidence_links"]]
        return EvidenceSerializer(evidence, many=True, context=self.context).data


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="PDF, PNG, JPEG, or UTF-8 text (txt, csv, json, md, log, yaml); scanned for "
        "secrets, refused with the reason if it holds one."
    )
    description = serializers.CharField(max_length=500, help_text="What it shows, in a sentence.")
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="The answer's version you read; the upload is refused if it changed since. "
        "Leave it out to attach to whatever the current version is.",
    )


class UploadedAnswerSerializer(serializers.Serializer):
    ref = serializers.CharField()
    version = serializers.IntegerField()
    review_state = serializers.ChoiceField(choices=ReviewState.choices)
    approval_withdrawn = serializers.BooleanField(
        help_text="The answer was approved; new evidence sent it back to review."
    )


class EvidenceUploadResultSerializer(serializers.Serializer):
    evidence = EvidenceSerializer()
    answer = UploadedAnswerSerializer()


# --- Obligations -----------------------------------------------------------------------------


class ObligationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=ObligationKind.choices)
    owner = serializers.SerializerMethodField()
    needs_confirmation = serializers.SerializerMethodField(
        help_text="A second person must confirm a completion (key rotations)."
    )

    def get_owner(self, obligation) -> str | None:
        return _username(obligation.owner)

    def get_needs_confirmation(self, obligation) -> bool:
        return rules.needs_confirmation(obligation.kind)


class OccurrenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    obligation = ObligationSerializer()
    scheduled_on = serializers.DateField()
    due_on = serializers.DateField()
    status = serializers.SerializerMethodField()
    completed_by = serializers.SerializerMethodField()
    completed_on = serializers.DateField(allow_null=True)
    url = serializers.SerializerMethodField()
    completion_url = serializers.SerializerMethodField(
        help_text="POST here to complete it, with a note and a file as evidence."
    )
    web_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=OCCURRENCE_STATUSES))
    def get_status(self, occurrence) -> str:
        return status_of(occurrence, self.context["today"]).value

    def get_completed_by(self, occurrence) -> str | None:
        return _username(occurrence.completed_by)

    def _address(self, occurrence) -> tuple[str, int]:
        return occurrence.obligation.team.slug, occurrence.pk

    def get_url(self, occurrence) -> str:
        return api_url(self.context, "api:occurrence_detail", *self._address(occurrence))

    def get_completion_url(self, occurrence) -> str:
        return api_url(self.context, "api:occurrence_completion", *self._address(occurrence))

    def get_web_url(self, occurrence) -> str:
        return self.context["request"].build_absolute_uri(occurrence.get_absolute_url())


class OccurrenceDetailSerializer(OccurrenceSerializer):
    note = serializers.CharField()
    evidence = EvidenceSerializer(many=True, source="evidence.all")


class OccurrenceCompletionSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="What was done.")
    done_on = serializers.DateField(
        required=False, allow_null=True, help_text="The day it was done; today if left out."
    )
    file = serializers.FileField(
        required=False, help_text="Evidence of it, checked and scanned as on an answer."
    )
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="What the file shows (required with a file).",
    )
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)


# --- What is due -----------------------------------------------------------------------------


class DueSerializer(serializers.Serializer):
    today = serializers.DateField()
    period = serializers.CharField(
        allow_null=True, help_text="The checklist the answers come from: the team's latest."
    )
    answers = AnswerSerializer(
        many=True,
        help_text="Answers that wait for the team: unanswered, draft, sent back, or stale. "
        "Those with a due date first, earliest first.",
    )
    occurrences = OccurrenceSerializer(
        many=True, help_text="Open occurrences of the team's obligations, earliest due first."
    )


# --- Reports ---------------------------------------------------------------------------------


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.CharField()
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    requested_by = serializers.CharField(source="requester_label")
    finished_at = serializers.DateTimeField()
    size = serializers.IntegerField(help_text="Bytes of the signed PDF.")
    sha256 = serializers.CharField(help_text="SHA-256 of the signed PDF.")
    page_count = serializers.IntegerField(allow_null=True)
    signer_subject = serializers.CharField()
    signer_fingerprint = serializers.CharField(
        help_text="SHA-256 of the signing certificate (DER)."
    )
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, export) -> str:
        return api_url(self.context, "api:report_download", export.team.slug, export.pk)


# --- The caller ------------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scope = serializers.CharField()
    team = serializers.SlugField(source="team.slug")
    expires_at = serializers.DateTimeField()


class CallerSerializer(serializers.Serializer):
    username = serializers.CharField()
    token = TokenSerializer(
        allow_null=True, help_text="The token the request came with; null for a signed-in session."
    )
    evidence_max_bytes = serializers.IntegerField(
        help_text="The largest evidence file the portal accepts."
    )
