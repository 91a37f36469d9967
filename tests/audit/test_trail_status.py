"""The audit trail page says when the chain was last verified, by whom, with what result,
and which checkpoint was signed last."""

import pytest
from django.urls import reverse

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from portal.audit.tasks import audit_log_verify
from tests.audit.conftest import record_many, tampering

pytestmark = pytest.mark.django_db
URL = reverse("audit:event_list")


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_it_says_when_nothing_was_verified_or_signed_yet(client, auditor):
    body = page(client, auditor)
    assert "Not verified yet." in body
    assert "No checkpoint signed yet." in body


def test_it_shows_the_nightly_verification_and_the_latest_checkpoint(client, auditor, team):
    record_many(3, team=team)
    checkpoint = audit.checkpoint_create()
    assert audit_log_verify.delay().get() is True
    verified = AuditEvent.objects.get(action="audit.log.verified")
    body = page(client, auditor)
    assert "Not verified yet." not in body
    assert '<span class="result-ok">Intact</span>' in body
    assert "UTC</time> · Nightly check</p>" in body
    assert f"{verified.changes['count']} events checked, up to event" in body
    assert verified.created_at.strftime("%Y-%m-%d %H:%M") in body
    assert f"at event {checkpoint.sequence}" in body
    assert checkpoint.key_id[:16] in body
    assert checkpoint.created_at.strftime("%Y-%m-%d %H:%M") in body


def test_it_names_the_person_who_verified(client, auditor, reviewer, team):
    record_many(2, team=team)
    audit.log_verify(by=auditor)
    assert "UTC</time> · by auditor</p>" in page(client, reviewer)


def test_it_shows_a_broken_chain_where_it_breaks(client, auditor, team):
    events = record_many(4, team=team)
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = 'rewritten' WHERE sequence = %s",
            [events[1].sequence],
        )
    result = audit.log_verify(how="verify_audit_log command")
    assert not result.ok and result.recorded
    body = page(client, auditor)
    assert f'<span class="result-bad">Broken at event {events[1].sequence}</span>' in body
    assert "its contents do not match its hash" in body
    assert "UTC</time> · verify_audit_log command</p>" in body


def test_the_command_records_how_it_ran(team):
    from io import StringIO

    from django.core.management import call_command

    record_many(1, team=team)
    call_command("verify_audit_log", stdout=StringIO(), stderr=StringIO())
    event = AuditEvent.objects.get(action="audit.log.verified")
    assert event.reason == "verify_audit_log command"
