"""The demo team's pipeline: a service account with an evidence-write API token, for the
README's pipeline example."""

from datetime import timedelta

from django.utils import timezone

from portal.accounts.models import Role, Team
from portal.api import tokens
from portal.api.models import ApiToken, Scope, ServiceAccount

SERVICE_ACCOUNT = "ci-pipeline"
PIPELINE = "demo pipeline"  # the name of its token


def seed_pipeline_token(team: Team, *, renew: bool) -> str | None:
    """The service account and its token, made by the team's lead. Returns the token's
    plaintext when one was made (the first time, or with `renew`, which revokes the old
    one), None when the demo already has a working token."""
    lead = team.memberships.filter(role=Role.LEAD).select_related("user").first().user
    account = ServiceAccount.objects.filter(team=team, name=SERVICE_ACCOUNT).first()
    if account is None:
        account = tokens.service_account_create(team=team, name=SERVICE_ACCOUNT, by=lead)
    current = ApiToken.objects.filter(user=account.user, name=PIPELINE, revoked_at=None)
    if current.filter(expires_at__gt=timezone.now()).exists() and not renew:
        return None
    for token in current:
        tokens.token_revoke(token=token, by=lead)
    _, plaintext = tokens.token_create(
        team=team,
        name=PIPELINE,
        scope=Scope.EVIDENCE_WRITE,
        expires_on=timezone.localdate() + timedelta(days=365),
        by=lead,
        service_account=account,
    )
    return plaintext
