"""`rotate_evidence_keys` on both stores: the evidence folder and an S3-compatible bucket.

The same assertions as tests/checklists/evidence/test_rotate_evidence_keys.py, made through the
store each deployment uses, plus reports, which a bucket keeps sealed under the same keys.
"""

import io
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from checklists.evidence import crypto
from checklists.evidence.storage import open_blob, store_upload
from checklists.models import Evidence, ExportStatus
from checklists.periods import Quarter
from checklists.reports import services, storage
from checklists.services.evidence import evidence_create_file
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.evidence.conftest import key_entry, pdf_bytes
from tests.checklists.reports.conftest import (  # noqa: F401
    _report_settings,
    signing_files,
)
from tests.s3_server import EVIDENCE_PREFIX, REPORT_PREFIX

FILES = {
    "a.log": b"2024-05-01 INFO rotated\n" * 10_000,  # several chunks
    "b.pdf": pdf_bytes(padding=70_000),
    "c.txt": b"short\n",
}

pytestmark = pytest.mark.django_db


@dataclass
class Kept:
    """The raw blobs of one store kind, read and written past the portal's code."""

    kind: str
    settings: object
    bucket: object = None

    def raw(self, name: str, *, prefix: str = EVIDENCE_PREFIX) -> bytes:
        if self.bucket is not None:
            return self.bucket.read(f"{prefix}/{name}")
        evidence = prefix == EVIDENCE_PREFIX
        root = self.settings.EVIDENCE_ROOT if evidence else self.settings.REPORT_ROOT
        return (root / name).read_bytes()

    def replace(self, name: str, data: bytes) -> None:
        if self.bucket is not None:
            self.bucket.write(f"{EVIDENCE_PREFIX}/{name}", data)
        else:
            (self.settings.EVIDENCE_ROOT / name).write_bytes(data)

    def listing(self) -> list[str]:
        """Every entry where evidence is kept, temp files and stray objects included."""
        if self.bucket is not None:
            return [key.removeprefix(f"{EVIDENCE_PREFIX}/") for key in self.bucket.object_keys()]
        root = self.settings.EVIDENCE_ROOT
        return sorted(path.name for path in root.iterdir()) if root.exists() else []

    def key_id(self, name: str, *, prefix: str = EVIDENCE_PREFIX) -> str:
        return crypto.key_id_of(io.BytesIO(self.raw(name, prefix=prefix)))


@pytest.fixture(params=["folder", "s3"])
def kept(request, settings) -> Kept:
    bucket = request.getfixturevalue("s3_bucket") if request.param == "s3" else None
    return Kept(request.param, settings, bucket)


def _store(data: bytes, filename: str) -> str:
    return store_upload(io.BytesIO(data), filename=filename).name


def _rotate() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_evidence_keys", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def old_blobs(kept, settings):
    old_key = settings.EVIDENCE_KEYS[0]
    blobs = {_store(data, filename): data for filename, data in FILES.items()}
    settings.EVIDENCE_KEYS = [key_entry("k2"), old_key]
    return blobs


def test_it_re_encrypts_under_the_newest_key(old_blobs, kept, settings):
    for name, data in old_blobs.items():
        assert b"".join(open_blob(name)) == data  # the old key still opens them
    before = {name: kept.raw(name) for name in old_blobs}

    out, err = _rotate()

    assert out == (
        "Re-encrypted 3 evidence file(s) under key 'k2'; 0 already used it; "
        "0 could not be decrypted.\n"
    )
    assert err == ""
    assert {kept.key_id(name) for name in old_blobs} == {"k2"}
    assert all(kept.raw(name) != before[name] for name in old_blobs)
    assert kept.listing() == sorted(old_blobs)

    settings.EVIDENCE_KEYS = settings.EVIDENCE_KEYS[:1]  # retire the old key
    for name, data in old_blobs.items():
        assert b"".join(open_blob(name)) == data


def test_it_skips_blobs_already_under_the_newest_key(old_blobs, kept):
    _rotate()
    after_first = {name: kept.raw(name) for name in old_blobs}
    out, _ = _rotate()
    assert out.startswith("Re-encrypted 0 evidence file(s) under key 'k2'; 3 already used it;")
    assert {name: kept.raw(name) for name in old_blobs} == after_first


def test_it_fails_clearly_on_a_blob_it_cannot_decrypt(old_blobs, kept, settings):
    damaged = sorted(old_blobs)[0]
    raw = bytearray(kept.raw(damaged))
    raw[-5] ^= 0xFF
    kept.replace(damaged, bytes(raw))
    keys = settings.EVIDENCE_KEYS
    settings.EVIDENCE_KEYS = [key_entry("k0")]
    orphan = _store(b"sealed with a key that is then lost\n", "x.txt")
    settings.EVIDENCE_KEYS = keys

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="2 evidence file\\(s\\) could not be decrypted"):
        call_command("rotate_evidence_keys", stdout=out, stderr=err)

    assert f"{damaged}: cannot be decrypted: chunk" in err.getvalue()
    assert f"{orphan}: cannot be decrypted: the blob is sealed with key 'k0'" in err.getvalue()
    assert "Re-encrypted 2 evidence file(s)" in out.getvalue()
    assert kept.raw(damaged) == bytes(raw)  # left as it was
    assert kept.listing() == sorted([*old_blobs, orphan])  # no temp files or stray objects


def test_it_leaves_a_blob_that_does_not_match_its_record(kept, settings, team, member):
    evidence = evidence_create_file(
        team=team, upload=SimpleUploadedFile("a.txt", b"evidence\n"), description="x", by=member
    )
    Evidence.objects.filter(pk=evidence.pk).update(sha256="0" * 64)
    before = kept.raw(evidence.blob_name)
    settings.EVIDENCE_KEYS = [key_entry("k2"), *settings.EVIDENCE_KEYS]
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 evidence file\\(s\\) could not be decrypted"):
        call_command("rotate_evidence_keys", stdout=out, stderr=err)
    assert "not " + "0" * 64 + " as recorded at upload" in err.getvalue()
    assert kept.raw(evidence.blob_name) == before
    assert kept.listing() == [evidence.blob_name]


@pytest.fixture
def report(kept, catalog, team, lead, django_capture_on_commit_callbacks):
    checklist = make_checklist(team, lead, period=str(Quarter.current()), providers=("mixpay",))
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = services.report_request(team=team, period=checklist.period, by=lead)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    return export


def test_reports_sealed_in_a_bucket_are_re_sealed_and_still_verify(report, kept, settings):
    before = kept.raw(report.blob_name, prefix=REPORT_PREFIX)
    old_key = settings.EVIDENCE_KEYS[0]
    settings.EVIDENCE_KEYS = [key_entry("k2"), old_key]

    out, err = _rotate()

    assert err == ""
    after = kept.raw(report.blob_name, prefix=REPORT_PREFIX)
    if kept.kind == "s3":
        assert out.endswith(
            "Re-encrypted 1 sealed report(s) under key 'k2'; 0 already used it; "
            "0 could not be decrypted.\n"
        )
        assert after != before and kept.key_id(report.blob_name, prefix=REPORT_PREFIX) == "k2"
    else:  # a signed PDF in the folder holds no key: left as it is
        assert "report" not in out
        assert after == before and after.startswith(b"%PDF")

    settings.EVIDENCE_KEYS = settings.EVIDENCE_KEYS[:1]  # retire the old key
    pdf = storage.report_read(report.blob_name)
    verified = services.report_verify(data=pdf)
    assert verified.ok and verified.export == report


@pytest.mark.parametrize("kept", ["s3"], indirect=True)  # reports in a folder are not sealed
def test_a_sealed_report_that_does_not_match_its_record_is_left(report, kept, settings):
    type(report).objects.filter(pk=report.pk).update(sha256="0" * 64)
    before = kept.raw(report.blob_name, prefix=REPORT_PREFIX)
    settings.EVIDENCE_KEYS = [key_entry("k2"), *settings.EVIDENCE_KEYS]
    out, err = StringIO(), StringIO()
    with pytest.raises(
        CommandError, match="0 evidence file\\(s\\) and 1 sealed report\\(s\\) could not be"
    ):
        call_command("rotate_evidence_keys", stdout=out, stderr=err)
    assert f"{report.blob_name}: cannot be decrypted:" in err.getvalue()
    assert kept.raw(report.blob_name, prefix=REPORT_PREFIX) == before
