"""Who is calling, and the teams they may see."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from checklists.selectors.team_home import current_checklist
from portal.accounts.models import Team
from portal.accounts.permissions import TEAM_PERMISSIONS, has_team_perm, teams_for
from portal.api.access import api_team_or_404, request_token
from portal.api.errors import ERROR_RESPONSES
from portal.api.serializers import CallerSerializer, TeamDetailSerializer, TeamSerializer
from portal.api.tokens import SCOPE_PERMISSIONS
from portal.api.views.common import READING, SLUG, Pages


class CallerView(GenericAPIView):
    permission_classes = READING
    serializer_class = CallerSerializer

    @extend_schema(
        tags=["caller"],
        responses={200: CallerSerializer, **ERROR_RESPONSES},
        summary="Who the request acts as",
        description="The person or service account the token (or session) acts as, the "
        "token's team, scope and expiry, and the largest evidence file accepted. A pipeline "
        "can call it first to check its token.",
    )
    def get(self, request: Request) -> Response:
        caller = {
            "username": request.user.get_username(),
            "token": request_token(request),
            "evidence_max_bytes": settings.EVIDENCE_MAX_BYTES,
        }
        return Response(CallerSerializer(caller).data)


def visible_teams(request: Request):
    """The teams the request may read: a token's own team, or the signed-in person's."""
    token = request_token(request)
    teams = teams_for(request.user, "view_team")
    if token is not None:
        teams = teams.filter(pk=token.team_id)
    return teams.order_by("name")


class TeamListView(ListAPIView):
    permission_classes = READING
    serializer_class = TeamSerializer
    pagination_class = Pages

    def get_queryset(self):
        return visible_teams(self.request)

    @extend_schema(
        tags=["teams"],
        responses={200: TeamSerializer(many=True), **ERROR_RESPONSES},
        summary="Teams you may see",
        description="A token sees its own team; a signed-in person the teams they belong to "
        "(reviewers and auditors: every team).",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


def _permissions(request: Request, team: Team) -> list[str]:
    token = request_token(request)
    allowed = SCOPE_PERMISSIONS[token.scope] if token is not None else TEAM_PERMISSIONS
    return [
        perm.removesuffix("_team")
        for perm in TEAM_PERMISSIONS
        if perm in allowed and has_team_perm(request.user, perm, team)
    ]


class TeamDetailView(GenericAPIView):
    permission_classes = READING
    serializer_class = TeamDetailSerializer

    @extend_schema(
        tags=["teams"],
        responses={200: TeamDetailSerializer, **ERROR_RESPONSES},
        summary="A team",
        parameters=[SLUG],
        description="The team, what the caller may do on it and its current period.",
    )
    def get(self, request: Request, slug: str) -> Response:
        team = api_team_or_404(request, slug)
        checklist = current_checklist(team)
        team.permissions = _permissions(request, team)
        team.current_period = checklist.period if checklist else None
        return Response(TeamDetailSerializer(team, context={"request": request}).data)
