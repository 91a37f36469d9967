"""What an API request may reach.

A token reaches only its own team, and only with the permissions its scope allows
(`tokens.SCOPE_PERMISSIONS`) that its user still holds there: another team answers 404, as
it does on the pages. Requests signed in with a session are answered by
`portal.accounts.permissions`, like the pages.
"""

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.accounts.models import Team
from portal.accounts.permissions import get_team_or_404, has_team_perm
from portal.api.models import ApiToken, Scope
from portal.api.tokens import SCOPE_PERMISSIONS

READ_SCOPE_REFUSAL = (
    "This API token has the read scope: it can read but not change anything. "
    "Use a token with the evidence-write scope."
)


def request_token(request) -> ApiToken | None:
    """The token the request was authenticated with, or None (a session, or nobody)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def api_team_or_404(request, slug: str, perm: str = "view_team") -> Team:
    """The team named by `slug`, if the request may use `perm` on it; 404 otherwise (403 when
    a token of the team lacks the scope)."""
    token = request_token(request)
    if token is None:
        return get_team_or_404(request.user, slug, perm)
    team = token.team
    if team.slug != slug or not has_team_perm(request.user, "view_team", team):
        raise NotFound()
    if perm not in SCOPE_PERMISSIONS[token.scope]:
        raise PermissionDenied(
            READ_SCOPE_REFUSAL
            if token.scope == Scope.READ
            else "API tokens cannot do this; sign in to the portal."
        )
    if not has_team_perm(request.user, perm, team):
        raise PermissionDenied(f"{request.user} may not do this for {team}.")
    return team


class ReadScope(BasePermission):
    """Any token scope may read; session requests pass (their teams are checked by
    `api_team_or_404` and the services)."""

    def has_permission(self, request, view) -> bool:
        token = request_token(request)
        return token is None or token.scope in (Scope.READ, Scope.EVIDENCE_WRITE)


class EvidenceWriteScope(BasePermission):
    """Writes need a token with the evidence-write scope; reads accept any token."""

    message = READ_SCOPE_REFUSAL

    def has_permission(self, request, view) -> bool:
        token = request_token(request)
        if token is None or request.method in SAFE_METHODS:
            return True
        return token.scope == Scope.EVIDENCE_WRITE
