"""Uploading, listing and downloading evidence through the pages a team uses."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.models import Attestation, Evidence, EvidenceLink
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import attestation_of, make_checklist

PLAINTEXT = b"ssl_protocols TLSv1.2 TLSv1.3;\nssl_prefer_server_ciphers on;\n"


@pytest.fixture
def item(catalog, team, lead):
    return attestation_of(make_checklist(team, lead), "GOPAY-1.2")


def _url(name, item, *extra):
    checklist = item.checklist
    return reverse(
        f"checklists:{name}", args=[checklist.team.slug, checklist.period, item.control.ref, *extra]
    )


def _upload(client, item, name="nginx-tls.txt", content=PLAINTEXT, **fields):
    item.refresh_from_db()
    data = {
        "upload": SimpleUploadedFile(name, content),
        "description": "TLS settings of the public listener",
        "expected_version": item.version,
        **fields,
    }
    return client.post(_url("evidence_upload", item), data, follow=True)


def _stored_files(settings):
    root = settings.EVIDENCE_ROOT
    return sorted(path.name for path in root.iterdir()) if root.exists() else []


def test_an_upload_is_encrypted_at_rest_and_listed_with_its_hash(client, settings, item, member):
    client.force_login(member)
    page = _upload(client, item).content.decode()
    evidence = Evidence.objects.get()
    assert evidence.sha256 in page
    assert len(evidence.sha256) == 64 and evidence.size == len(PLAINTEXT)
    (stored,) = _stored_files(settings)
    assert stored == evidence.blob_name
    raw = (settings.EVIDENCE_ROOT / stored).read_bytes()
    assert b"ssl_protocols" not in raw and PLAINTEXT not in raw
    event = AuditEvent.objects.get(action="checklists.evidence.added")
    assert event.changes["sha256"] == evidence.sha256 and event.actor == member


def test_a_download_decrypts_and_streams_as_an_attachment(client, item, member, auditor):
    client.force_login(member)
    _upload(client, item)
    evidence = Evidence.objects.get()
    client.force_login(auditor)
    response = client.get(
        reverse("checklists:evidence_download", args=[item.checklist.team.slug, evidence.pk])
    )
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == PLAINTEXT
    assert response["Content-Disposition"] == 'attachment; filename="nginx-tls.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")
    assert (
        AuditEvent.objects.filter(action="checklists.evidence.downloaded", actor=auditor).count()
        == 1
    )


def test_another_teams_evidence_is_404(client, item, member, outsider):
    client.force_login(member)
    _upload(client, item)
    evidence = Evidence.objects.get()
    client.force_login(outsider)
    own_slug_url = reverse("checklists:evidence_download", args=["ojek-cepat", evidence.pk])
    their_url = reverse(
        "checklists:evidence_download", args=[item.checklist.team.slug, evidence.pk]
    )
    assert client.get(own_slug_url).status_code == 404
    assert client.get(their_url).status_code == 404


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "settings.env",
            b"LOG_LEVEL=info\nAWS_ACCESS_KEY_ID=AKIAZ7QH4XKJ2M5TRW3N\n",
            "line 2 looks like an AWS access key",
        ),
        ("empty.txt", b"", "The submitted file is empty."),
        (
            "report.pdf",
            b"just text pretending\n",
            "report.pdf is named as a PDF document but its content is text",
        ),
        (
            "tool.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 8,
            "which is not accepted as evidence",
        ),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(
    client, settings, item, member, name, content, message
):
    client.force_login(member)
    page = _upload(client, item, name=name, content=content).content.decode()
    assert message in page.replace("&#x27;", "'")
    assert not Evidence.objects.exists() and not EvidenceLink.objects.exists()
    assert _stored_files(settings) == []
    assert Attestation.objects.get(pk=item.pk).version == 0


def test_an_upload_over_the_limit_is_refused(client, settings, item, member):
    settings.EVIDENCE_MAX_BYTES = 1024
    client.force_login(member)
    page = _upload(client, item, content=b"a fine line of text\n" * 100).content.decode()
    assert "nginx-tls.txt is larger than" in page
    assert not Evidence.objects.exists() and _stored_files(settings) == []


def test_a_stale_form_keeps_the_file_out(client, settings, item, member, lead):
    client.force_login(member)
    _upload(client, item)
    client.force_login(lead)
    item.version = 0  # the lead's page was opened before the member's upload
    stale = client.post(
        _url("evidence_upload", item),
        {
            "upload": SimpleUploadedFile("second.txt", b"second file\n"),
            "description": "Second",
            "expected_version": 0,
        },
        follow=True,
    )
    assert "changed while you were editing it" in stale.content.decode()
    assert Evidence.objects.count() == 1
    assert len(_stored_files(settings)) == 1  # the refused file's blob was removed again


def test_a_link_must_be_https(client, item, member):
    client.force_login(member)
    response = client.post(
        _url("evidence_link", item),
        {"url": "http://wiki.example.com/x", "description": "Wiki", "expected_version": 0},
        follow=True,
    )
    assert "Link to an https:// address." in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_double_submit_is_refused(client, item, member):
    client.force_login(member)
    form = {"status": "implemented", "statement": "Back end only.", "addresses_all": "on"}
    client.post(_url("attestation_save", item), {**form, "expected_version": 0})
    form["expected_version"] = 1
    client.post(_url("attestation_submit", item), form)
    again = client.post(_url("attestation_submit", item), form)
    assert again.status_code == 400
    assert "This answer is already awaiting review." in again.content.decode()
    assert AuditEvent.objects.filter(action="checklists.attestation.submitted").count() == 1


def test_an_answer_needs_its_justification(client, item, member):
    client.force_login(member)
    response = client.post(
        _url("attestation_save", item),
        {"status": "not-applicable", "statement": "", "expected_version": 0},
        follow=True,
    )
    assert (
        "Explain why the control is not applicable: a justification is required."
        in response.content.decode()
    )
    assert Attestation.objects.get(pk=item.pk).version == 0


def test_a_refused_answer_keeps_what_was_typed(client, item, member):
    client.force_login(member)
    response = client.post(
        _url("attestation_save", item),
        {"status": "partial", "statement": "Half of the services are done.", "expected_version": 0},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Half of the services are done." in page
    assert "Explain why the control is partially implemented: a justification is required." in page


def test_the_answers_history_lists_its_evidence(client, item, member, reviewer):
    client.force_login(member)
    _upload(client, item)
    client.force_login(reviewer)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Evidence attached" in page and "Answer changed" not in page
