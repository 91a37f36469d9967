"""Object storage configured from the environment: the settings, the system check, and a
command run in a separate process against the bucket those settings name."""

import base64
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checklists.evidence import crypto
from checklists.evidence.storage import open_blob, store_upload
from portal.checks import object_storage
from tests.conftest import _database_url
from tests.s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

ROOT = Path(__file__).resolve().parents[2]
S3 = "storages.backends.s3.S3Storage"


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "EVIDENCE_", "REPORT_", "DJANGO_SETTINGS"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "PORTAL_LOCAL_ENV": "", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_the_folder_store_needs_no_bucket(settings):
    assert settings.EVIDENCE_STORAGE == "folder" and settings.REPORT_STORAGE == "folder"
    assert settings.EVIDENCE_STORE == "checklists.evidence.stores.FolderStore"
    assert object_storage(None) == []


def test_s3_without_a_bucket_is_a_clear_error(settings):
    options = {**settings.S3_OPTIONS, "bucket_name": None}
    settings.EVIDENCE_STORAGE = settings.REPORT_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {"BACKEND": S3, "OPTIONS": {**options, "location": "evidence"}},
        "reports": {"BACKEND": S3, "OPTIONS": {**options, "location": "reports"}},
    }
    errors = object_storage(None)
    assert _ids(errors) == ["portal.E020", "portal.E020"]
    assert errors[0].msg == (
        "EVIDENCE_STORAGE is s3 but AWS_STORAGE_BUCKET_NAME is not set: evidence cannot be "
        "stored or read."
    )
    assert errors[1].msg.startswith("REPORT_STORAGE is s3 but AWS_STORAGE_BUCKET_NAME")


def test_evidence_and_reports_may_not_share_a_prefix(settings):
    options = {**settings.S3_OPTIONS, "bucket_name": "portal-blobs", "location": "blobs"}
    settings.EVIDENCE_STORAGE = settings.REPORT_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {"BACKEND": S3, "OPTIONS": options},
        "reports": {"BACKEND": S3, "OPTIONS": options},
    }
    errors = object_storage(None)
    assert _ids(errors) == ["portal.E021"]
    assert "share the prefix 'blobs' of bucket 'portal-blobs'" in errors[0].msg


def test_manage_check_fails_when_s3_is_chosen_without_a_bucket():
    result = _manage("check", env={"EVIDENCE_STORAGE": "s3"})
    assert result.returncode == 1
    assert "portal.E020" in result.stderr
    assert "EVIDENCE_STORAGE is s3 but AWS_STORAGE_BUCKET_NAME is not set" in result.stderr
    assert "REPORT_STORAGE is s3" in result.stderr  # reports follow evidence


def test_an_unknown_storage_kind_is_refused_at_start():
    result = _manage("check", env={"EVIDENCE_STORAGE": "ftp"})
    assert result.returncode == 1
    assert "EVIDENCE_STORAGE='ftp' is not one of folder, s3" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_rotation_in_a_process_configured_only_from_the_environment(s3_bucket, settings, tmp_path):
    """EVIDENCE_STORAGE=s3 and django-storages' own variable names are all a node needs; the
    secret may come from a mounted file, and never shows in the output, even at DEBUG."""
    old_key = settings.EVIDENCE_KEYS[0]
    names = [
        store_upload(io.BytesIO(data), filename="a.txt").name
        for data in (b"first file\n", b"second file\n")
    ]
    secret_file = tmp_path / "aws-secret"
    secret_file.write_text(SECRET_ACCESS_KEY + "\n")
    new_key = "k2:" + base64.b64encode(os.urandom(32)).decode()
    env = {
        "DATABASE_URL": _database_url(),
        "EVIDENCE_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": s3_bucket.name,
        "AWS_S3_ENDPOINT_URL": s3_bucket.endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY_FILE": str(secret_file),
        "EVIDENCE_KEYS": f"{new_key},{old_key}",
        "LOG_LEVEL": "DEBUG",
    }

    result = _manage("rotate_evidence_keys", env=env)  # after the system checks pass

    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 2 evidence file(s) under key 'k2'" in result.stdout
    for name in names:
        raw = s3_bucket.read(f"evidence/{name}")
        assert crypto.key_id_of(io.BytesIO(raw)) == "k2"
    settings.EVIDENCE_KEYS = [new_key]
    assert b"".join(open_blob(names[0])) == b"first file\n"
    output = result.stdout + result.stderr
    assert "botocore" not in output  # its debug lines are kept out
    assert SECRET_ACCESS_KEY not in output and ACCESS_KEY_ID not in output
