"""Evidence is created for a team on its own, then attached to answers as a separate step."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from checklists.evidence.storage import blob_path, open_blob
from checklists.models import Evidence
from checklists.services.evidence import evidence_attach, evidence_create_file
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import attestation_of, make_checklist

CONTENT = b"Access review 2026-Q4: 14 accounts, 2 removed\n"


def _create(team, by, name="access-review.txt", content=CONTENT, **kwargs):
    return evidence_create_file(
        team=team,
        upload=SimpleUploadedFile(name, content),
        description=kwargs.pop("description", "Quarterly access review"),
        by=by,
        **kwargs,
    )


def test_it_stores_a_file_for_the_team_attached_to_nothing(team, member):
    evidence = _create(team, member)
    assert evidence.team == team and evidence.original_name == "access-review.txt"
    assert not evidence.links.exists()
    assert b"".join(open_blob(evidence.blob_name, sha256=evidence.sha256)) == CONTENT
    event = AuditEvent.objects.get(action="checklists.evidence.stored")
    assert event.object_id == str(evidence.pk) and event.changes["sha256"] == evidence.sha256


def test_a_refused_file_leaves_nothing(team, member, settings):
    with pytest.raises(ValidationError, match="run.exe is empty; upload a file with content."):
        _create(team, member, name="run.exe", content=b"")
    assert not Evidence.objects.exists()
    assert not settings.EVIDENCE_ROOT.exists() or not any(settings.EVIDENCE_ROOT.iterdir())
    assert not AuditEvent.objects.filter(action="checklists.evidence.stored").exists()


def test_it_attaches_existing_evidence_to_an_answer(catalog, team, lead, member):
    evidence = _create(team, member)
    item = attestation_of(make_checklist(team, lead), "GOPAY-1.2")
    link = evidence_attach(
        attestation=item, evidence=evidence, by=member, expected_version=item.version
    )
    item.refresh_from_db()
    assert link.evidence == evidence and item.evidence.get() == evidence
    assert item.version == 1
    assert AuditEvent.objects.get(action="checklists.evidence.added").changes["evidence"] == (
        evidence.pk
    )
    with pytest.raises(ValidationError, match="already attached to this answer"):
        evidence_attach(
            attestation=item, evidence=evidence, by=member, expected_version=item.version
        )


def test_it_refuses_another_teams_evidence(catalog, team, lead, member, other_team, outsider):
    theirs = _create(other_team, outsider)
    item = attestation_of(make_checklist(team, lead), "GOPAY-1.2")
    with pytest.raises(ValidationError, match="belongs to another team"):
        evidence_attach(attestation=item, evidence=theirs, by=member, expected_version=0)
    assert not item.evidence.exists()
    assert blob_path(theirs.blob_name).exists()
