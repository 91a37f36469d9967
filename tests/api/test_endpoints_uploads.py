"""Evidence the portal refuses through the API: the reason comes back as JSON, and nothing is
stored (no evidence row, no blob, no spooled upload, no audit event of an addition)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.models import Evidence, Occurrence
from portal.audit.models import AuditEvent
from tests.api.conftest import TEXT, answer_url, bearer
from tests.checklists.obligations.helpers import STRIPE_KEY

KB = 1024


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


def _files_under(folder) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def nothing_left(settings, tmp_path):
    """Asserts, after the test's requests, that no evidence of any kind was kept."""
    settings.EVIDENCE_SPOOL_DIR = tmp_path / "spool"
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * KB  # larger files wait in the spool, sealed
    yield
    assert not Evidence.objects.exists()
    assert _files_under(settings.EVIDENCE_ROOT) == []
    assert _files_under(settings.EVIDENCE_SPOOL_DIR) == []
    assert not AuditEvent.objects.filter(
        action__in=("checklists.evidence.added", "checklists.evidence.stored")
    ).exists()


def _post(client, url, token, name, content, **fields):
    data = {"file": SimpleUploadedFile(name, content), "description": "Settings", **fields}
    return client.post(url, data, **bearer(token))


REFUSALS = [
    pytest.param(
        "deploy.env",
        b"LOG_LEVEL=info\nPAYMENT_KEY=" + STRIPE_KEY.encode() + b"\n",
        {},
        "line 2 looks like a Stripe live secret key; remove it and upload again",
        id="secret in the file",
    ),
    pytest.param(
        "big.log",
        b"2026-10-01 request ok\n" * 5_000,  # over the limit the test sets, within the margin
        {},
        "big.log is larger than",
        id="too large",
    ),
    pytest.param(
        "archive.zip",
        _zip(),
        {},
        "The content of archive.zip is application/zip, which is not accepted as evidence",
        id="wrong type",
    ),
    pytest.param(
        "report.pdf",
        TEXT,
        {},
        "report.pdf is named as a PDF document but its content is text",
        id="named as another type",
    ),
    pytest.param(
        "tls.txt",
        TEXT,
        {"valid_from": "2027-01-01", "valid_until": "2026-01-01"},
        "The evidence cannot stop being valid before it starts.",
        id="period out of order",
    ),
    pytest.param(
        "tls.txt",
        TEXT,
        {"description": f"key {STRIPE_KEY}"},
        "The description looks like it holds a Stripe live secret key (line 1)",
        id="secret in the description",
    ),
    pytest.param(
        "tls.txt",
        TEXT,
        {"valid_until": "next year"},
        "valid_until: Date has wrong format.",
        id="malformed date",
    ),
]


@pytest.mark.parametrize("name, content, fields, message", REFUSALS)
def test_a_refused_upload_to_an_answer_says_why_and_stores_nothing(
    token_client,
    api_tokens,
    checklist,
    team,
    period,
    settings,
    nothing_left,
    name,
    content,
    fields,
    message,
):
    settings.EVIDENCE_MAX_BYTES = 50 * KB
    url = answer_url("answer_evidence", team, period)
    response = _post(token_client, url, api_tokens.write, name, content, **fields)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and message in body["detail"], body
    assert body["errors"]


@pytest.mark.parametrize("name, content, fields, message", REFUSALS[:4])
def test_a_refused_completion_says_why_and_stores_nothing(
    token_client,
    api_tokens,
    team,
    occurrence,
    settings,
    nothing_left,
    name,
    content,
    fields,
    message,
):
    settings.EVIDENCE_MAX_BYTES = 50 * KB
    url = reverse("api:occurrence_completion", args=[team.slug, occurrence.pk])
    response = token_client.post(
        url,
        {
            "note": "Rules reviewed",
            "file": SimpleUploadedFile(name, content),
            "description": "Firewall rules export",
        },
        **bearer(api_tokens.write),
    )
    assert response.status_code == 400, response.content
    assert message in response.json()["errors"]["file"][0]
    assert Occurrence.objects.get(pk=occurrence.pk).completed_at is None


def test_a_body_larger_than_any_evidence_is_refused_before_it_is_read(
    token_client, api_tokens, checklist, team, period, settings, nothing_left
):
    settings.EVIDENCE_MAX_BYTES = 4 * KB
    url = answer_url("answer_evidence", team, period)
    response = _post(token_client, url, api_tokens.write, "huge.log", b"x" * (200 * KB))
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "too_large"
    assert "an evidence file may be 4,096 bytes" in body["detail"]


def test_an_upload_without_a_file_or_description_is_refused(
    token_client, api_tokens, checklist, team, period, nothing_left
):
    url = answer_url("answer_evidence", team, period)
    response = token_client.post(url, {}, **bearer(api_tokens.write))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == {
        "file": ["No file was submitted."],
        "description": ["This field is required."],
    }
    assert response.json()["detail"] == "file: No file was submitted."
