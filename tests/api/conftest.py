"""Shared set-up for the API tests: a team with a checklist, an obligation and a signed report,
another team with its own, and real tokens of every kind."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklists.models import ExportStatus, ReportExport, ReportScope
from checklists.periods import Quarter
from checklists.reports import services as report_services
from checklists.reports import storage as report_storage
from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.api import tokens
from portal.api.models import ApiToken, Scope
from tests.checklists.assessment_helpers import attestation_of, make_checklist
from tests.checklists.obligations.helpers import make_obligation, open_occurrence
from tests.checklists.reports.conftest import _report_settings, signing_files  # noqa: F401
from tests.conftest import make_user

REF = "GOPAY-1.2"
TEXT = b"ssl_protocols TLSv1.2 TLSv1.3;\nssl_prefer_server_ciphers on;\n"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Rate limits are counted in the cache: each test starts with none used."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def period() -> str:
    return str(Quarter.current())


@pytest.fixture
def checklist(catalog, team, lead, period):
    return make_checklist(team, lead, period=period)


@pytest.fixture
def other_checklist(catalog, other_team, outsider, period):
    return make_checklist(other_team, outsider, period=period)


@pytest.fixture
def other_member(other_team):
    user = make_user("other-member")
    accounts.membership_add(team=other_team, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def occurrence(team, lead):
    return open_occurrence(make_obligation(team, lead))


@pytest.fixture
def other_occurrence(other_team, outsider):
    return open_occurrence(make_obligation(other_team, outsider))


_SIGNED: dict[tuple[str, str], dict] = {}
_COPIED_FIELDS = (
    "kind",
    "sha256",
    "size",
    "page_count",
    "content_sha256",
    "signer_fingerprint",
    "signer_subject",
)


def signed_report(team, by, period: str) -> ReportExport:
    """A real signed report, made as the reports page makes it (the task runs in-process).
    Rendering takes seconds, so the first one made for a team and period is kept and stored
    again, as the same signed file, for the next tests that need it."""
    made = _SIGNED.get((team.slug, period))
    if made is not None:
        return ReportExport.objects.create(
            scope=ReportScope.TEAM,
            team=team,
            period=period,
            status=ExportStatus.DONE,
            requested_by=by,
            finished_at=timezone.now(),
            blob_name=report_storage.report_store(made["pdf"]),
            **{field: made[field] for field in _COPIED_FIELDS},
        )
    export, _ = report_services.report_request(team=team, period=period, by=by)
    report_services.report_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    _SIGNED[(team.slug, period)] = {
        "pdf": report_storage.report_read(export.blob_name),
        **{field: getattr(export, field) for field in _COPIED_FIELDS},
    }
    return export


@pytest.fixture
def report(checklist, team, lead, period) -> ReportExport:
    return signed_report(team, lead, period)


def make_token(team, by, scope=Scope.EVIDENCE_WRITE, *, name="CI upload", **kwargs) -> str:
    _token, plaintext = tokens.token_create(
        team=team,
        name=name,
        scope=scope,
        expires_on=timezone.localdate() + timedelta(days=30),
        by=by,
        **kwargs,
    )
    return plaintext


@dataclass
class Tokens:
    read: str  # the lead's, read scope
    write: str  # the member's, evidence-write scope
    service: str  # the team's service account's, evidence-write scope
    expired: str
    revoked: str
    other_team: str  # a lead of another team, evidence-write on that team


@pytest.fixture
def api_tokens(team, other_team, lead, member, outsider) -> Tokens:
    account = tokens.service_account_create(team=team, name="ci-pipeline", by=lead)
    expired = make_token(team, member, name="Old pipeline")
    ApiToken.objects.filter(name="Old pipeline").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    revoked = make_token(team, member, name="Leaked pipeline")
    tokens.token_revoke(token=ApiToken.objects.get(name="Leaked pipeline"), by=member)
    return Tokens(
        read=make_token(team, lead, Scope.READ, name="Dashboard"),
        write=make_token(team, member, name="CI upload"),
        service=make_token(team, lead, name="Pipeline", service_account=account),
        expired=expired,
        revoked=revoked,
        other_team=make_token(other_team, outsider, name="Their CI"),
    )


def bearer(plaintext: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


@pytest.fixture
def token_client():
    """A client that never holds a session: each request carries its own token."""
    return Client()


def answer_url(name: str, team, period: str, ref: str = REF) -> str:
    return reverse(f"api:{name}", args=[team.slug, period, ref])


@pytest.fixture
def answer(checklist):
    return attestation_of(checklist, REF)
