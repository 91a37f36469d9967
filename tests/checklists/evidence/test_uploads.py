"""Large uploads wait on disk only as ciphertext."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.evidence.errors import BlobTampered
from checklists.evidence.uploads import SealedFileUploadHandler
from checklists.models import Evidence
from tests.checklists.assessment_helpers import attestation_of, make_checklist

LINE = b"2026-11-22T09:00:00Z INFO pay-api status=201 merchant=kopi-kita path=/v1/charges\n"


@pytest.fixture
def spool(settings, tmp_path):
    settings.EVIDENCE_SPOOL_DIR = tmp_path / "uploads"
    settings.EVIDENCE_SPOOL_DIR.mkdir()
    return settings.EVIDENCE_SPOOL_DIR


def test_it_spools_only_ciphertext_and_reads_back_the_plaintext(spool):
    handler = SealedFileUploadHandler()
    handler.new_file("upload", "access.log", "text/plain", None)
    plaintext = LINE * 5000
    for start in range(0, len(plaintext), 65536):
        handler.receive_data_chunk(plaintext[start : start + 65536], start)
    upload = handler.file_complete(len(plaintext))
    (spooled,) = spool.iterdir()
    on_disk = spooled.read_bytes()
    assert on_disk.startswith(b"PEVD\x02") and b"merchant=kopi-kita" not in on_disk
    assert b"".join(upload.chunks()) == plaintext
    assert b"".join(upload.chunks(1000)) == plaintext  # read again, in other sizes
    with pytest.raises(OSError, match="read through chunks"):
        upload.read()
    upload.close()
    assert list(spool.iterdir()) == []


def test_an_altered_spool_is_refused_not_read(spool):
    handler = SealedFileUploadHandler()
    handler.new_file("upload", "access.log", "text/plain", None)
    handler.receive_data_chunk(LINE * 100, 0)
    upload = handler.file_complete(len(LINE) * 100)
    (spooled,) = spool.iterdir()
    raw = bytearray(spooled.read_bytes())
    raw[-30] ^= 0x01
    spooled.write_bytes(raw)
    with pytest.raises(BlobTampered, match="chunk 0 fails authentication"):
        b"".join(upload.chunks())
    upload.close()


def test_an_interrupted_upload_leaves_nothing(spool):
    handler = SealedFileUploadHandler()
    handler.new_file("upload", "access.log", "text/plain", None)
    handler.receive_data_chunk(LINE, 0)
    handler.upload_interrupted()
    assert list(spool.iterdir()) == []


def test_a_large_upload_goes_through_the_page(client, settings, spool, catalog, team, lead, member):
    settings.FILE_UPLOAD_HANDLERS = ["checklists.evidence.uploads.SealedFileUploadHandler"]
    item = attestation_of(make_checklist(team, lead), "GOPAY-1.2")
    client.force_login(member)
    content = LINE * 4000  # about 330 KB
    response = client.post(
        reverse("checklists:evidence_upload", args=[team.slug, "2026-Q4", "GOPAY-1.2"]),
        {
            "upload": SimpleUploadedFile("access.log", content),
            "description": "Logs",
            "expected_version": 0,
        },
        follow=True,
    )
    evidence = Evidence.objects.get()
    assert f"access.log uploaded (SHA-256 {evidence.sha256})" in response.content.decode()
    assert evidence.size == len(content)
    assert list(spool.iterdir()) == []
    assert item.evidence.get() == evidence
