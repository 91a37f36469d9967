"""What falls due for a team, and its obligations' occurrences, completed with evidence."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from checklists.models import Occurrence
from checklists.services import obligations as obligation_services
from portal.api import selectors
from portal.api.errors import ERROR_RESPONSES, UPLOAD_ERROR_RESPONSES, with_api_field_names
from portal.api.serializers import (
    DueSerializer,
    OccurrenceCompletionSerializer,
    OccurrenceDetailSerializer,
)
from portal.api.views.common import READING, SLUG, WRITING, TeamScoped, path_parameter

MAX_WITHIN_DAYS = 3660
OCCURRENCE = path_parameter("id", "The occurrence's id (see what is due).", int)
# The completion service's names for the fields of OccurrenceCompletionSerializer.
COMPLETION_FIELDS = {
    "upload": "file",
    "evidence_description": "description",
    "evidence_valid_from": "valid_from",
    "evidence_valid_until": "valid_until",
}


class DueView(TeamScoped):
    permission_classes = READING
    serializer_class = DueSerializer

    def _within_days(self) -> int | None:
        raw = self.request.query_params.get("within_days", "").strip()
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_WITHIN_DAYS:
            raise ValidationError(
                {"within_days": [f"Give a whole number of days, 0 to {MAX_WITHIN_DAYS}."]}
            )
        return int(raw)

    @extend_schema(
        tags=["due"],
        summary="What is due for a team",
        description="The answers of the team's latest checklist that wait for the team "
        "(unanswered, draft, sent back by a reviewer, or approved but stale), with their due "
        "dates, and the open occurrences of its obligations, with theirs and their status "
        "(overdue, due-soon, upcoming, awaiting-confirmation).",
        parameters=[
            SLUG,
            OpenApiParameter(
                "within_days",
                int,
                description="Only what falls due within this many days from today (overdue "
                "and stale items included).",
            ),
        ],
        responses={200: DueSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, slug: str) -> Response:
        within_days = self._within_days()
        due = selectors.due_for(self.team, today=timezone.localdate(), within_days=within_days)
        context = {**self.get_serializer_context(), "checklist": due.checklist, "today": due.today}
        data = {
            "today": due.today,
            "period": due.checklist.period if due.checklist else None,
            "answers": due.answers,
            "occurrences": due.occurrences,
        }
        return Response(DueSerializer(data, context=context).data)


class OccurrenceScoped(TeamScoped):
    def occurrence_or_404(self, pk: int) -> Occurrence:
        occurrence = selectors.occurrence_of(self.team, pk).first()
        if occurrence is None:
            raise NotFound(f"{self.team} has no occurrence {pk}.")
        return occurrence

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "today": timezone.localdate()}


class OccurrenceDetailView(OccurrenceScoped):
    permission_classes = READING
    serializer_class = OccurrenceDetailSerializer

    @extend_schema(
        tags=["obligations"],
        summary="An occurrence of an obligation",
        parameters=[SLUG, OCCURRENCE],
        description="One time a recurring duty falls due: its dates, status, and once "
        "completed who did it, the note and the evidence.",
        responses={200: OccurrenceDetailSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        occurrence = self.occurrence_or_404(pk)
        context = self.get_serializer_context()
        return Response(OccurrenceDetailSerializer(occurrence, context=context).data)


class OccurrenceCompletionView(OccurrenceScoped):
    permission_classes = WRITING
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = OccurrenceCompletionSerializer
    team_permission = "attest_team"

    @extend_schema(
        tags=["obligations"],
        summary="Complete an occurrence, with evidence",
        parameters=[SLUG, OCCURRENCE],
        description="Records that the duty was done: a note, the day (today if left out) "
        "and, as its evidence, a file with what it shows and the period it is valid for. The "
        "file goes through the same checks as any evidence (type, size, secret scan) and a "
        "refusal stores nothing. An occurrence takes its evidence when it is completed and "
        "never changes once done. A key rotation then waits for a second person to confirm "
        "it in the portal; a service account never confirms anything.",
        request={"multipart/form-data": OccurrenceCompletionSerializer},
        responses={200: OccurrenceDetailSerializer, **UPLOAD_ERROR_RESPONSES},
    )
    def post(self, request: Request, slug: str, pk: int) -> Response:
        occurrence = self.occurrence_or_404(pk)
        completion = OccurrenceCompletionSerializer(data=request.data)
        completion.is_valid(raise_exception=True)
        typed = completion.validated_data
        try:
            obligation_services.occurrence_complete(
                occurrence=occurrence,
                by=request.user,
                note=typed["note"],
                done_on=typed.get("done_on"),
                upload=typed.get("file"),
                evidence_description=typed.get("description", ""),
                evidence_valid_from=typed.get("valid_from"),
                evidence_valid_until=typed.get("valid_until"),
            )
        except DjangoValidationError as refused:
            raise with_api_field_names(refused, COMPLETION_FIELDS) from None
        done = self.occurrence_or_404(pk)
        context = self.get_serializer_context()
        return Response(OccurrenceDetailSerializer(done, context=context).data)
