"""A team's signed reports: listed, and downloaded through the audited service."""

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from checklists.reports import services as report_services
from portal.api import selectors
from portal.api.errors import ERROR_RESPONSES
from portal.api.serializers import ReportSerializer
from portal.api.views.common import READING, SLUG, Pages, TeamScoped, path_parameter

REPORT = path_parameter("id", "The report's id (see the list).", int)


class ReportListView(TeamScoped, ListAPIView):
    permission_classes = READING
    serializer_class = ReportSerializer
    pagination_class = Pages
    team_permission = "export_team"

    def get_queryset(self):
        return selectors.signed_reports(self.team)

    @extend_schema(
        tags=["reports"],
        summary="A team's signed reports",
        parameters=[SLUG],
        description="Finished, signed PDF reports of the team, newest first, with each "
        "file's SHA-256 and signer. For the team's leads, reviewers and auditors (and their "
        "tokens).",
        responses={200: ReportSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ReportDownloadView(TeamScoped):
    permission_classes = READING
    team_permission = "export_team"

    def perform_content_negotiation(self, request, force=False):
        # The PDF answers any Accept header (application/pdf included); errors are JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["reports"],
        summary="Download a signed report",
        parameters=[SLUG, REPORT],
        description="The signed PDF, streamed as an attachment; the download is recorded in "
        "the audit trail. Check it with `pdfsig` or `manage.py verify_report`.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request, slug: str, pk: int) -> StreamingHttpResponse:
        export = selectors.signed_reports(self.team).filter(pk=pk).first()
        if export is None:
            raise NotFound(f"{self.team} has no signed report {pk}.")
        response = StreamingHttpResponse(
            report_services.report_open(export=export, by=request.user),
            content_type="application/pdf",
        )
        response["Content-Length"] = str(export.size)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=export.download_name
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
