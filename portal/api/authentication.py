"""`Authorization: Bearer cpt_…`: API requests made with a token."""

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from portal.api import tokens
from portal.api.throttles import RefusedTokenLimit
from portal.audit import context

MALFORMED = "Send the token as the header “Authorization: Bearer <token>”."


class BearerTokenAuthentication(BaseAuthentication):
    """Returns (the token's user, the token). An unknown, expired or revoked token is a 401
    with `WWW-Authenticate: Bearer`. Each use is recorded, and every event recorded during
    the request names the token as its actor."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(MALFORMED)
        limit = RefusedTokenLimit()
        limit.check(request)
        now = timezone.now()
        try:
            token = tokens.token_for(parts[1].decode("latin-1"), now=now)
        except tokens.TokenRefused as refused:
            limit.note_refusal()
            if refused.token is not None:
                tokens.token_refused(
                    token=refused.token,
                    reason=refused.message,
                    method=request.method,
                    path=request.path,
                )
            raise AuthenticationFailed(refused.message) from None
        context.act_as(token.actor_label)
        tokens.token_used(token=token, method=request.method, path=request.path, now=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return "Bearer"
