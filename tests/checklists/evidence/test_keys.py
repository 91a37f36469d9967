import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from checklists.evidence import crypto
from checklists.evidence.storage import open_blob

from .conftest import key_entry, listing, store_bytes

ROOT = Path(__file__).resolve().parents[3]


def test_it_seals_with_the_first_key_and_opens_with_any(evidence_root, settings):
    old = store_bytes(b"old evidence\n", "a.txt")
    settings.EVIDENCE_KEYS = [key_entry("k2"), *settings.EVIDENCE_KEYS]
    new = store_bytes(b"new evidence\n", "b.txt")
    for blob, key_id in ((old, "k1"), (new, "k2")):
        with (evidence_root / blob.name).open("rb") as handle:
            assert crypto.key_id_of(handle) == key_id
    assert b"".join(open_blob(old.name)) == b"old evidence\n"
    assert b"".join(open_blob(new.name)) == b"new evidence\n"


def test_it_generates_a_local_key_when_debug_is_on(evidence_root, settings):
    settings.DEBUG = True
    settings.EVIDENCE_KEYS = []
    blob = store_bytes(b"local evidence\n", "a.txt")
    key_file = settings.DATA_DIR / "keys" / crypto.LOCAL_KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(key_file.parent).st_mode) == 0o700
    first = key_file.read_text()
    assert b"".join(open_blob(blob.name)) == b"local evidence\n"
    assert key_file.read_text() == first  # reused, not regenerated


def test_it_requires_keys_when_debug_is_off(evidence_root, settings):
    settings.DEBUG = False
    settings.EVIDENCE_KEYS = []
    with pytest.raises(ImproperlyConfigured, match=r"EVIDENCE_KEYS \(or EVIDENCE_KEYS_FILE\)"):
        store_bytes(b"evidence\n", "a.txt")
    assert listing(evidence_root) == []
    assert not (settings.DATA_DIR / "keys").exists()


@pytest.mark.parametrize(
    "entry, message",
    [
        ("no-colon", "entry 1 must be keyid:base64"),
        ("bad id:AAAA", "entry 1 must be keyid:base64"),
        ("k1:not*base64", "key 'k1' is not valid base64"),
        ("k1:" + "A" * 44, "key 'k1' must decode to 32 bytes"),
        ("k1:c2hvcnQ=", "key 'k1' must decode to 32 bytes (AES-256), not 5"),
    ],
)
def test_it_refuses_malformed_keys_without_echoing_them(evidence_root, settings, entry, message):
    settings.EVIDENCE_KEYS = [entry]
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)) as caught:
        store_bytes(b"evidence\n", "a.txt")
    value = entry.partition(":")[2]
    assert not value or value not in str(caught.value)
    assert listing(evidence_root) == []


def test_it_refuses_a_key_id_listed_twice(evidence_root, settings):
    settings.EVIDENCE_KEYS = [key_entry("k1"), key_entry("k1")]
    with pytest.raises(ImproperlyConfigured, match="lists key id 'k1' twice"):
        store_bytes(b"evidence\n", "a.txt")


def test_it_reads_keys_from_the_environment_or_a_file(tmp_path):
    keys = tmp_path / "evidence-keys"
    keys.write_text(f"{key_entry('2025-06')}\n{key_entry('2025-01')}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(DEBUG="true", PORTAL_DATA_DIR=str(tmp_path), EVIDENCE_KEYS_FILE=str(keys))
    script = (
        "from checklists.evidence.crypto import load_keyring; "
        "print([k.id for k in load_keyring().keys])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['2025-06', '2025-01']"
