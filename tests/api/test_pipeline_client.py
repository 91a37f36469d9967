"""The pipeline client as a CI job runs it: downloaded from a running portal, started as its own
process with the token in its environment, uploading over real HTTP. It exits 0 with one line
when the evidence is attached (and audited under the token's name), and non-zero with the
portal's reason when it is refused."""

import hashlib
import os
import subprocess
import sys
import urllib.request

import pytest

from checklists.models import Evidence
from portal.api.models import ApiToken, Scope
from portal.audit.models import AuditEvent
from tests.api.conftest import REF, make_token
from tests.checklists.assessment_helpers import attestation_of
from tests.checklists.obligations.helpers import STRIPE_KEY

pytestmark = pytest.mark.django_db(transaction=True)

REPORT = b"ZAP baseline scan, 2026-10-02: 0 high, 2 medium (accepted), 5 low\n"


@pytest.fixture
def client_script(live_server, tmp_path):
    """The client as a pipeline gets it: fetched from the portal."""
    url = f"{live_server.url}/api/client/upload_evidence.py"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (the test server)
        path = tmp_path / "upload_evidence.py"
        path.write_bytes(response.read())
    return path


@pytest.fixture
def run(client_script, live_server, checklist, team, period, tmp_path):
    def run(token: str | None, content: bytes = REPORT, name="zap-baseline.txt", **options):
        upload = tmp_path / name
        upload.write_bytes(content)
        arguments = {
            "url": live_server.url,
            "team": team.slug,
            "period": period,
            "control": REF,
            "file": str(upload),
            **options,
        }
        env = {key: value for key, value in os.environ.items() if key != "PORTAL_API_TOKEN"}
        if token is not None:
            env["PORTAL_API_TOKEN"] = token
        command = [sys.executable, str(client_script)]
        for option, value in arguments.items():
            command += [f"--{option.replace('_', '-')}", value]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    return run


def test_a_pipeline_uploads_evidence_and_it_is_attached_and_audited(run, team, lead, checklist):
    from portal.api import tokens

    account = tokens.service_account_create(team=team, name="ci-pipeline", by=lead)
    token = make_token(team, lead, name="Release pipeline", service_account=account)

    done = run(token, description="ZAP baseline of the payment API", valid_until="2026-12-31")

    assert done.returncode == 0, done.stderr
    digest = hashlib.sha256(REPORT).hexdigest()
    assert done.stdout.strip().splitlines() == [
        f"Uploaded zap-baseline.txt ({len(REPORT)} bytes, SHA-256 {digest}) to {REF} of "
        f"{team.slug} {checklist.period}: answer version 1, draft."
    ]
    assert token not in done.stdout + done.stderr
    evidence = Evidence.objects.get()
    assert evidence.sha256 == digest and str(evidence.valid_until) == "2026-12-31"
    assert list(attestation_of(checklist, REF).evidence.all()) == [evidence]
    added = AuditEvent.objects.get(action="checklists.evidence.added")
    assert added.actor_label == ApiToken.objects.get(name="Release pipeline").actor_label
    assert added.changes["sha256"] == digest


@pytest.mark.parametrize(
    "content, name, status, reason",
    [
        (
            b"MERCHANT=kopi\nSTRIPE=" + STRIPE_KEY.encode() + b"\n",
            "settings.env",
            1,
            "refused (400): line 2 looks like a Stripe live secret key",
        ),
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            "scan.pdf",
            1,
            "refused (400): scan.pdf is named as a PDF document but its content is",
        ),
    ],
    ids=["secret found", "wrong type"],
)
def test_a_refused_upload_exits_non_zero_with_the_portals_reason(
    run, team, member, content, name, status, reason
):
    done = run(make_token(team, member), content=content, name=name)
    assert done.returncode == status
    assert reason in done.stderr and done.stdout == ""
    assert not Evidence.objects.exists()


def test_a_file_larger_than_any_evidence_is_refused_before_it_is_sent_whole(
    run, team, member, settings
):
    settings.EVIDENCE_MAX_BYTES = 4 * 1024
    done = run(make_token(team, member), content=b"request ok\n" * 400_000, name="huge.log")
    assert done.returncode == 1
    assert "refused (413): File upload refused before reading it" in done.stderr
    assert not Evidence.objects.exists()


def test_a_read_token_a_wrong_control_and_a_missing_token_are_told_apart(run, team, lead):
    read_only = run(make_token(team, lead, Scope.READ, name="Dashboard"))
    assert read_only.returncode == 3
    assert "refused (403): This API token has the read scope" in read_only.stderr

    writer = make_token(team, lead, name="CI")
    wrong = run(writer, control="GOPAY-99.9")
    assert wrong.returncode == 3
    assert "refused (404): No control GOPAY-99.9 in the" in wrong.stderr

    ApiToken.objects.filter(name="CI").update(revoked_at="2026-01-01T00:00:00Z")
    revoked = run(writer)
    assert revoked.returncode == 3 and "refused (401): The API token" in revoked.stderr

    missing = run(None)
    assert missing.returncode == 2
    assert "No API token: set the environment variable PORTAL_API_TOKEN" in missing.stderr
    assert not Evidence.objects.exists()


def test_a_rate_limited_upload_exits_4_and_says_when_to_try_again(run, team, member, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "api_token": "1/minute",
        },
    }
    token = make_token(team, member)
    assert run(token).returncode == 0
    limited = run(token)
    assert limited.returncode == 4
    assert "refused (429): Too many requests with this API token" in limited.stderr
    assert "(Retry-After: " in limited.stderr
    assert Evidence.objects.count() == 1
