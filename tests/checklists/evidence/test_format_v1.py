"""Blobs written in format version 1 still open, are checked by hash, and rotate to version 2."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from checklists.evidence import crypto
from checklists.evidence.errors import BlobTampered
from checklists.evidence.storage import blob_path, open_blob

from .conftest import seal_v1

PLAINTEXT = b"".join(b"%06d firewall rule reviewed\n" % i for i in range(10_000))  # 5 chunks
NAMES = ("a" * 32, "b" * 32)

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1_blobs(evidence_root, settings):
    evidence_root.mkdir(parents=True)
    key = settings.EVIDENCE_KEYS[0]
    texts = {NAMES[0]: PLAINTEXT, NAMES[1]: PLAINTEXT.replace(b"reviewed", b"approved")}
    for name, text in texts.items():
        blob_path(name).write_bytes(seal_v1(key, text))
    return texts


def _version_of(name: str) -> int:
    with blob_path(name).open("rb") as handle:
        return crypto.read_header(handle).version


def test_a_v1_blob_still_opens(v1_blobs):
    for name, text in v1_blobs.items():
        assert _version_of(name) == 1
        assert b"".join(open_blob(name, sha256=hashlib.sha256(text).hexdigest())) == text


def test_swapped_v1_blobs_are_caught_by_their_hash_before_a_byte_is_given(v1_blobs):
    first, second = (blob_path(name) for name in NAMES)
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)
    second.write_bytes(first_bytes)
    with pytest.raises(BlobTampered, match="recorded at upload"):
        open_blob(NAMES[0], sha256=hashlib.sha256(v1_blobs[NAMES[0]]).hexdigest())


def test_rotation_rewrites_v1_as_v2_under_the_same_key(v1_blobs, evidence_root):
    out = StringIO()
    call_command("rotate_evidence_keys", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("Re-encrypted 2 evidence file(s) under key 'k1'")
    for name, text in v1_blobs.items():
        assert _version_of(name) == 2
        assert b"".join(open_blob(name, sha256=hashlib.sha256(text).hexdigest())) == text
    assert sorted(p.name for p in evidence_root.iterdir()) == sorted(NAMES)
    out = StringIO()
    call_command("rotate_evidence_keys", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("Re-encrypted 0 evidence file(s)")
