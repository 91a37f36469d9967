"""The standalone verifier, run as an auditor would: a subprocess on an export from the
portal's own export view, with the published public key and nothing of the portal."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from tests.audit.conftest import record_many

pytestmark = pytest.mark.django_db
SCRIPT = Path(settings.BASE_DIR) / "portal" / "audit" / "offline_verify.py"
URL = reverse("audit:event_export_jsonl")


@pytest.fixture
def public_key(tmp_path) -> Path:
    out = io.StringIO()
    call_command("audit_public_key", stdout=out)
    path = tmp_path / "audit-public.pem"
    path.write_text(out.getvalue())
    return path


def export(client, user, tmp_path, filters=None, name="audit-events.jsonl") -> Path:
    client.force_login(user)
    response = client.post(URL, filters or {})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-events.jsonl"'
    path = tmp_path / name
    path.write_bytes(b"".join(response.streaming_content))
    return path


def run(path: Path, *keys: Path) -> subprocess.CompletedProcess:
    args = [sys.executable, str(SCRIPT), str(path)]
    for key in keys:
        args += ["--public-key", str(key)]
    # Nothing of the portal: no settings module, another working directory.
    env = {"PATH": "/usr/bin:/bin"}
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=path.parent)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def rewrite(path: Path, keep, name: str) -> Path:
    """A copy of the export with lines changed (keep returns the new text or None)."""
    out = path.with_name(name)
    kept = [keep(line) for line in path.read_text().splitlines()]
    out.write_text("".join(line + "\n" for line in kept if line is not None))
    return out


@pytest.fixture
def full_export(client, auditor, tmp_path):
    record_many(4)
    audit.checkpoint_create()  # checkpoint at 5 (the auditor's grant is event 1), event 6
    record_many(2)
    return export(client, auditor, tmp_path)  # the export itself is recorded as event 10


def test_it_passes_an_intact_export(full_export, public_key):
    result = run(full_export, public_key)
    assert result.returncode == 0, result.stderr
    assert "Export intact: sequences 1 to 10: 10 events, 0 links; 1 checkpoint verified" in (
        result.stdout
    )
    assert "signed up to 5; the last 5 are not yet signed" in result.stdout
    assert "MAC not checked" in result.stdout


def test_the_export_carries_the_hashed_form_and_the_checkpoints(full_export):
    header, *rest = lines(full_export)
    assert (header["type"], header["format"], header["first_sequence"]) == (
        "export",
        "portal.audit.export",
        1,
    )
    events = [line for line in rest if line["type"] == "event"]
    assert [e["event"]["sequence"] for e in events] == list(range(1, 11))
    stored = AuditEvent.objects.get(sequence=3)
    assert events[2]["hash"] == stored.hash
    assert events[2]["event"]["v"] == 2 and events[2]["event"]["prev_hash"] == stored.prev_hash
    (checkpoint,) = [line for line in rest if line["type"] == "checkpoint"]
    assert checkpoint["sequence"] == 5 and checkpoint["signature"]


def test_it_names_a_changed_byte(full_export, public_key):
    def tamper(text):
        line = json.loads(text)
        if line.get("type") == "event" and line["event"]["sequence"] == 3:
            return text.replace('"tests.thing.done"', '"tests.thing.donE"')
        return text

    result = run(rewrite(full_export, tamper, "tampered.jsonl"), public_key)
    assert result.returncode == 1
    assert "broken at sequence 3: its contents do not match its hash" in result.stderr
    assert "(2 events verified before it)" in result.stderr


def test_it_names_a_removed_row(full_export, public_key):
    def drop(text):
        line = json.loads(text)
        return None if line.get("event", {}).get("sequence") == 4 else text

    result = run(rewrite(full_export, drop, "short.jsonl"), public_key)
    assert result.returncode == 1
    assert "broken at sequence 4: sequence 4 is missing (the next line is 5)" in result.stderr


def test_it_names_a_removed_checkpoint(full_export, public_key):
    def drop(text):
        return None if json.loads(text)["type"] == "checkpoint" else text

    result = run(rewrite(full_export, drop, "no-checkpoint.jsonl"), public_key)
    assert result.returncode == 1
    assert "broken at sequence 6: it records a checkpoint at 5 that is missing" in result.stderr


def test_it_rejects_a_checkpoint_under_another_key(full_export, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    other = tmp_path / "other.pem"
    other.write_bytes(
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    result = run(full_export, other)
    assert result.returncode == 1
    assert "checkpoint at 5 is signed by an unknown key" in result.stderr


def test_it_checks_a_filtered_export_through_links(client, lead, team, other_team, tmp_path):
    audit.record("tests.mine.done", team=team, changes={"n": 1})
    audit.record("tests.theirs.done", team=other_team, changes={"n": 2})
    audit.record("tests.mine.done", team=team, changes={"n": 3})
    audit.checkpoint_create()
    path = export(client, lead, tmp_path, {"action": "tests.mine.done"})
    kinds = [(line["type"], line.get("sequence")) for line in lines(path)[1:3]]
    assert kinds[0][0] == "event"
    body = path.read_text()
    assert "tests.theirs.done" not in body
    key = tmp_path / "key.pem"
    out = io.StringIO()
    call_command("audit_public_key", stdout=out)
    key.write_text(out.getvalue())
    result = run(path, key)
    assert result.returncode == 0, result.stderr
    assert "2 events, 1 links" in result.stdout

    def drop_link(text):
        return None if json.loads(text)["type"] == "link" else text

    result = run(rewrite(path, drop_link, "no-link.jsonl"), key)
    assert result.returncode == 1 and "is missing" in result.stderr


def test_it_refuses_a_file_that_is_not_an_export(tmp_path, public_key):
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": 1}\n')
    result = run(path, public_key)
    assert result.returncode == 3
    assert "not a portal.audit.export header" in result.stderr


def test_it_records_the_export(client, auditor, tmp_path):
    export(client, auditor, tmp_path, {"action": "tests.*"})
    event = AuditEvent.objects.get(action="audit.log.exported")
    assert event.changes == {"filters": {"action": "tests.*"}, "format": "jsonl"}


def test_it_is_a_404_for_a_member(client, member):
    client.force_login(member)
    assert client.post(URL).status_code == 404


def test_it_rejects_get(client, auditor):
    client.force_login(auditor)
    assert client.get(URL).status_code == 405


def test_the_script_needs_nothing_of_django():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import offline_verify; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'portal')]"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(SCRIPT.parent)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
