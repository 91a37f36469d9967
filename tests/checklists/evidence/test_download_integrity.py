"""A download serves a team's own file or fails: blobs swapped on the volume are caught."""

import pytest
from django.urls import reverse

from checklists.evidence.errors import BlobTampered
from checklists.evidence.storage import blob_path
from checklists.models import Evidence
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import attestation_of, make_checklist, upload

from .conftest import seal_v1

KOPI = b"".join(b"%06d kopi-kita firewall rule reviewed\n" % i for i in range(8000))  # 5 chunks
OJEK = b"".join(b"%06d ojek-online access review done\n" % i for i in range(8000))


@pytest.fixture
def two_files(catalog, team, lead, member, other_team, outsider):
    ours = upload(attestation_of(make_checklist(team, lead), "GOPAY-1.2"), member, "a.log", KOPI)
    theirs = upload(
        attestation_of(make_checklist(other_team, outsider), "GOPAY-1.2"),
        outsider,
        "b.log",
        OJEK,
    )
    return ours, theirs


def _swap(first: str, second: str) -> None:
    a, b = blob_path(first), blob_path(second)
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)


def _download(client, evidence):
    return client.get(
        reverse("checklists:evidence_download", args=[evidence.team.slug, evidence.pk])
    )


def test_a_download_serves_the_teams_own_file(client, two_files, member):
    ours, _ = two_files
    client.force_login(member)
    assert b"".join(_download(client, ours).streaming_content) == KOPI


def test_blobs_swapped_between_teams_are_refused_before_a_byte_is_sent(client, two_files, member):
    ours, theirs = two_files
    _swap(ours.blob_name, theirs.blob_name)
    client.force_login(member)
    client.raise_request_exception = False
    response = _download(client, ours)
    assert response.status_code == 500
    assert not response.streaming and b"ojek-online" not in response.content
    event = AuditEvent.objects.get(action="checklists.evidence.unreadable")
    assert event.object_id == str(ours.pk) and event.actor == member
    assert f"was sealed as {theirs.blob_name}" in event.changes["problem"]
    assert not AuditEvent.objects.filter(action="checklists.evidence.downloaded").exists()


def test_swapped_old_format_blobs_are_refused_before_a_byte_is_sent(
    client, two_files, member, settings
):
    ours, theirs = two_files
    key = settings.EVIDENCE_KEYS[0]
    blob_path(ours.blob_name).write_bytes(seal_v1(key, OJEK))  # version 1 binds no name
    blob_path(theirs.blob_name).write_bytes(seal_v1(key, KOPI))
    client.force_login(member)
    client.raise_request_exception = False
    response = _download(client, ours)
    assert response.status_code == 500 and b"ojek-online" not in response.content
    event = AuditEvent.objects.get(action="checklists.evidence.unreadable")
    assert "not " + ours.sha256 in event.changes["problem"]
    client.force_login(member)
    blob_path(ours.blob_name).write_bytes(seal_v1(key, KOPI))
    assert b"".join(_download(client, ours).streaming_content) == KOPI


def test_a_file_that_differs_from_its_record_stops_before_the_last_chunk(client, two_files, member):
    ours, _ = two_files
    Evidence.objects.filter(pk=ours.pk).update(sha256="0" * 64)  # the record, not the blob
    client.force_login(member)
    response = _download(client, ours)
    assert response.status_code == 200 and response["Content-Length"] == str(len(KOPI))
    received = b""
    with pytest.raises(BlobTampered, match="its last chunk was withheld"):
        for chunk in response.streaming_content:
            received += chunk
    assert received == KOPI[: 4 * 64 * 1024]  # every chunk but the last
    event = AuditEvent.objects.get(action="checklists.evidence.unreadable")
    assert event.object_id == str(ours.pk) and "not " + "0" * 64 in event.changes["problem"]
