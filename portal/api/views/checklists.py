"""A team's checklists, their answers, and evidence uploaded to an answer."""

from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from checklists.models import Attestation, Checklist, ReviewState
from checklists.rules import ProgressState
from checklists.selectors.assessments import checklist_progress
from checklists.services import evidence as evidence_services
from portal.api import selectors
from portal.api.errors import ERROR_RESPONSES, UPLOAD_ERROR_RESPONSES
from portal.api.serializers import (
    AnswerDetailSerializer,
    AnswerSerializer,
    ChecklistDetailSerializer,
    ChecklistSerializer,
    EvidenceSerializer,
    EvidenceUploadResultSerializer,
    EvidenceUploadSerializer,
)
from portal.api.views.common import (
    PERIOD,
    READING,
    REF,
    SLUG,
    WRITING,
    AnswerPages,
    Pages,
    TeamScoped,
)


class ChecklistScoped(TeamScoped):
    @cached_property
    def checklist(self) -> Checklist:
        checklist = (
            Checklist.objects.filter(team=self.team, period=self.kwargs["period"])
            .select_related("team")
            .prefetch_related("providers")
            .first()
        )
        if checklist is None:
            raise NotFound(f"{self.team} has no checklist for {self.kwargs['period']}.")
        return checklist

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "checklist": self.checklist}

    def answer_or_404(self, queryset) -> Attestation:
        answer = queryset.first()
        if answer is None:
            raise NotFound(
                f"No control {self.kwargs['ref']} in the {self.checklist.period} checklist "
                f"of {self.team}."
            )
        return answer


class ChecklistListView(TeamScoped, ListAPIView):
    permission_classes = READING
    serializer_class = ChecklistSerializer
    pagination_class = Pages

    def get_queryset(self):
        return selectors.checklists_of(self.team)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        context = {
            **self.get_serializer_context(),
            "progress": selectors.progress_by_checklist(page),
        }
        data = ChecklistSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="A team's checklists",
        parameters=[SLUG],
        description="Newest period first, with the providers, the ASVS level and how many "
        "answers are given, approved and stale.",
        tags=["checklists"],
        responses={200: ChecklistSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ChecklistDetailView(ChecklistScoped):
    permission_classes = READING
    serializer_class = ChecklistDetailSerializer

    @extend_schema(
        summary="A checklist",
        parameters=[SLUG, PERIOD],
        description="The checklist with its progress in total, per provider and per category.",
        tags=["checklists"],
        responses={200: ChecklistDetailSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, slug: str, period: str) -> Response:
        checklist = self.checklist
        rows = checklist_progress(checklist)
        context = {
            **self.get_serializer_context(),
            "progress": selectors.progress_by_checklist([checklist]),
            "progress_rows": rows,
        }
        return Response(ChecklistDetailSerializer(checklist, context=context).data)


class AnswerListView(ChecklistScoped, ListAPIView):
    permission_classes = READING
    serializer_class = AnswerSerializer
    pagination_class = AnswerPages

    def get_queryset(self):
        params = self.request.query_params
        state = params.get("state", "")
        if state and state not in ProgressState.values:
            raise ValidationError({"state": [f"Choose one of {', '.join(ProgressState.values)}."]})
        return selectors.answers_of(
            self.checklist,
            ref=params.get("ref", "").strip(),
            state=state,
            provider=params.get("provider", "").strip(),
        )

    @extend_schema(
        summary="A checklist's answers",
        description="In catalog order, paged. An answer given through another control of its "
        "equivalence group shows that control's answer (`answered_through`).",
        parameters=[
            SLUG,
            PERIOD,
            OpenApiParameter("ref", str, description="Only this control (e.g. GOPAY-1.2)."),
            OpenApiParameter("state", str, enum=ProgressState.values),
            OpenApiParameter("provider", str, description="A provider's slug (gopay…), or asvs."),
        ],
        tags=["checklists"],
        responses={200: AnswerSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class AnswerDetailView(ChecklistScoped):
    permission_classes = READING
    serializer_class = AnswerDetailSerializer

    @extend_schema(
        summary="An answer",
        parameters=[SLUG, PERIOD, REF],
        description="The answer to one control, with the control's requirement and the "
        "evidence that counts for it.",
        tags=["checklists"],
        responses={200: AnswerDetailSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, slug: str, period: str, ref: str) -> Response:
        answer = self.answer_or_404(
            selectors.answer_with_evidence(team=self.team, period=self.checklist.period, ref=ref)
        )
        context = {
            **self.get_serializer_context(),
            "evidence_links": selectors.live_evidence_links(answer),
        }
        return Response(AnswerDetailSerializer(answer, context=context).data)


class AnswerEvidenceView(ChecklistScoped):
    """Read with any token; upload with an evidence-write token (or signed in) by a person
    who may answer for the team."""

    permission_classes = WRITING
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = EvidenceSerializer

    @property
    def team_permission(self) -> str:
        return "attest_team" if self.request.method == "POST" else "view_team"

    @extend_schema(
        summary="An answer's evidence",
        parameters=[SLUG, PERIOD, REF],
        description="The evidence that counts for the answer; withdrawn evidence is left out.",
        responses={200: EvidenceSerializer(many=True), **ERROR_RESPONSES},
        tags=["evidence"],
    )
    def get(self, request: Request, slug: str, period: str, ref: str) -> Response:
        answer = self.answer_or_404(
            selectors.answer_with_evidence(team=self.team, period=self.checklist.period, ref=ref)
        )
        evidence = [link.evidence for link in selectors.live_evidence_links(answer)]
        return Response(
            EvidenceSerializer(evidence, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Upload evidence to an answer",
        parameters=[SLUG, PERIOD, REF],
        description="A file (multipart/form-data), what it shows, and the period it is valid "
        "for. It goes through the same checks as on the answer's page: its type is read from "
        "its content, its size is limited, text is scanned for live credentials, and a refusal "
        "stores nothing. The upload is a new version of the answer and is audited; evidence "
        "added to an approved answer sends it back to review.\n\n"
        "Pipelines address the answer by team, period and control reference, as in the path.",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceUploadResultSerializer, **UPLOAD_ERROR_RESPONSES},
        tags=["evidence"],
    )
    def post(self, request: Request, slug: str, period: str, ref: str) -> Response:
        answer = self.answer_or_404(
            Attestation.objects.filter(checklist=self.checklist, control__ref=ref).select_related(
                "checklist__team", "control", "satisfied_through__control"
            )
        )
        upload = EvidenceUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        typed = upload.validated_data
        evidence = evidence_services.evidence_add_file(
            attestation=answer,
            upload=typed["file"],
            description=typed["description"],
            valid_from=typed.get("valid_from"),
            valid_until=typed.get("valid_until"),
            by=request.user,
            expected_version=typed.get("expected_version"),
        )
        version, review_state = Attestation.objects.values_list("version", "review_state").get(
            pk=answer.pk
        )
        result = {
            "evidence": evidence,
            "answer": {
                "ref": answer.control.ref,
                "version": version,
                "review_state": review_state,
                "approval_withdrawn": answer.review_state == ReviewState.APPROVED
                and review_state != ReviewState.APPROVED,
            },
        }
        data = EvidenceUploadResultSerializer(result, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
