"""What the API views share: the permission classes for reading and writing, the team a
view works in, paging, and the path parameters as the schema describes them."""

from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiParameter
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated

from portal.api.access import EvidenceWriteScope, ReadScope, api_team_or_404

READING = [IsAuthenticated, ReadScope]
WRITING = [IsAuthenticated, EvidenceWriteScope]


class TeamScoped(GenericAPIView):
    """A view of one team's objects; `team_permission` is what the request needs there."""

    team_permission = "view_team"

    @cached_property
    def team(self):
        return api_team_or_404(self.request, self.kwargs["slug"], self.team_permission)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "team": self.team}


class Pages(PageNumberPagination):
    """?page=N, and ?page_size= up to max_page_size."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class AnswerPages(Pages):
    page_size = 100


def path_parameter(name: str, description: str, kind=str) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.PATH, description=description)


SLUG = path_parameter("slug", "The team's slug, as in its address in the portal.")
PERIOD = path_parameter("period", "The checklist's quarter, e.g. 2026-Q4.")
REF = path_parameter("ref", "The control's reference, e.g. GOPAY-1.2.")
