from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from checklists.evidence import crypto
from checklists.evidence.storage import blob_path, open_blob
from checklists.models import Evidence
from checklists.services.evidence import evidence_create_file

from .conftest import key_entry, listing, pdf_bytes, store_bytes

FILES = {
    "a.log": b"2024-05-01 INFO rotated\n" * 10_000,  # several chunks
    "b.pdf": pdf_bytes(padding=70_000),
    "c.txt": b"short\n",
}

pytestmark = pytest.mark.django_db


def _key_ids(names) -> set[str]:
    ids = set()
    for name in names:
        with blob_path(name).open("rb") as handle:
            ids.add(crypto.key_id_of(handle))
    return ids


def _rotate() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_evidence_keys", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def old_blobs(evidence_root, settings):
    old_key = settings.EVIDENCE_KEYS[0]
    blobs = {store_bytes(data, filename).name: data for filename, data in FILES.items()}
    settings.EVIDENCE_KEYS = [key_entry("k2"), old_key]
    return blobs


def test_it_re_encrypts_under_the_newest_key(old_blobs, evidence_root, settings):
    for name, data in old_blobs.items():
        assert b"".join(open_blob(name)) == data  # the old key still opens them
    before = {name: blob_path(name).read_bytes() for name in old_blobs}

    out, err = _rotate()

    assert out == (
        "Re-encrypted 3 evidence file(s) under key 'k2'; 0 already used it; "
        "0 could not be decrypted.\n"
    )
    assert err == ""
    assert _key_ids(old_blobs) == {"k2"}
    assert all(blob_path(name).read_bytes() != before[name] for name in old_blobs)
    assert listing(evidence_root) == sorted(old_blobs)

    settings.EVIDENCE_KEYS = settings.EVIDENCE_KEYS[:1]  # retire the old key
    for name, data in old_blobs.items():
        assert b"".join(open_blob(name)) == data


def test_it_skips_blobs_already_under_the_newest_key(old_blobs):
    _rotate()
    out, _ = _rotate()
    assert out.startswith("Re-encrypted 0 evidence file(s) under key 'k2'; 3 already used it;")


def test_it_fails_clearly_on_a_blob_it_cannot_decrypt(old_blobs, evidence_root, settings):
    damaged = sorted(old_blobs)[0]
    raw = bytearray(blob_path(damaged).read_bytes())
    raw[-5] ^= 0xFF
    blob_path(damaged).write_bytes(raw)
    keys = settings.EVIDENCE_KEYS
    settings.EVIDENCE_KEYS = [key_entry("k0")]
    orphan = store_bytes(b"sealed with a key that is then lost\n", "x.txt").name
    settings.EVIDENCE_KEYS = keys

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="2 evidence file\\(s\\) could not be decrypted"):
        call_command("rotate_evidence_keys", stdout=out, stderr=err)

    assert f"{damaged}: cannot be decrypted: chunk" in err.getvalue()
    assert f"{orphan}: cannot be decrypted: the blob is sealed with key 'k0'" in err.getvalue()
    assert "Re-encrypted 2 evidence file(s)" in out.getvalue()
    assert blob_path(damaged).read_bytes() == bytes(raw)  # left as it was
    assert listing(evidence_root) == sorted([*old_blobs, orphan])  # no temp files


def test_it_leaves_a_blob_that_does_not_match_its_record(evidence_root, settings, team, member):
    evidence = evidence_create_file(
        team=team, upload=SimpleUploadedFile("a.txt", b"evidence\n"), description="x", by=member
    )
    Evidence.objects.filter(pk=evidence.pk).update(sha256="0" * 64)
    before = blob_path(evidence.blob_name).read_bytes()
    settings.EVIDENCE_KEYS = [key_entry("k2"), *settings.EVIDENCE_KEYS]
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 evidence file\\(s\\) could not be decrypted"):
        call_command("rotate_evidence_keys", stdout=out, stderr=err)
    assert "not " + "0" * 64 + " as recorded at upload" in err.getvalue()
    assert blob_path(evidence.blob_name).read_bytes() == before
    assert listing(evidence_root) == [evidence.blob_name]
