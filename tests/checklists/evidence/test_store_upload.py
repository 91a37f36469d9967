import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from checklists.evidence.storage import EvidenceRejected, open_blob, store_upload

from .conftest import MB, jpeg_bytes, listing, pdf_bytes, png_bytes, store_bytes

TEXT = b"control: TLS 1.2+ only\nchecked: 2024-05-01\n"


@pytest.mark.parametrize(
    "data, filename, extension, content_type",
    [
        (pdf_bytes(), "policy.pdf", "pdf", "application/pdf"),
        (png_bytes(), "screenshot.png", "png", "image/png"),
        (jpeg_bytes(), "photo.jpg", "jpeg", "image/jpeg"),
        (jpeg_bytes(), "photo.JPEG", "jpeg", "image/jpeg"),
        (TEXT, "notes.txt", "txt", "text/plain; charset=utf-8"),
        (b"control,status\nTLS,done\n", "status.csv", "csv", "text/csv; charset=utf-8"),
        (b'{"tls": "1.2"}\n', "config.json", "json", "application/json"),
        (b"# Firewall\n\n- deny all\n", "README.md", "md", "text/markdown; charset=utf-8"),
        (b"2024-05-01 INFO started\n", "app.log", "log", "text/plain; charset=utf-8"),
        (b"tls:\n  min: '1.2'\n", "nginx.yaml", "yaml", "application/yaml"),
        (b"tls:\n  min: '1.2'\n", "nginx.yml", "yaml", "application/yaml"),
        ("café — ok\n".encode(), "nginx.conf", "txt", "text/plain; charset=utf-8"),
        (pdf_bytes(), "scan-without-extension", "pdf", "application/pdf"),
    ],
)
def test_it_accepts_each_allowed_type(evidence_root, data, filename, extension, content_type):
    blob = store_bytes(data, filename)
    assert (blob.extension, blob.content_type) == (extension, content_type)
    assert blob.size == len(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(open_blob(blob.name)) == data
    assert listing(evidence_root) == [blob.name]


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (
            TEXT,
            "report.pdf",
            "report.pdf is named as a PDF document but its content is text; "
            "rename it to match its content or upload the right file.",
        ),
        (
            pdf_bytes(),
            "shot.png",
            "shot.png is named as a PNG image but its content is a PDF document; "
            "rename it to match its content or upload the right file.",
        ),
        (
            png_bytes(),
            "notes.txt",
            "notes.txt is named as text but its content is a PNG image; "
            "rename it to match its content or upload the right file.",
        ),
        (
            _zip(),
            "photo.jpg",
            "photo.jpg is named as a JPEG image but its content is application/zip; "
            "evidence must be PDF, PNG, JPEG, or UTF-8 text (txt, csv, json, md, log, yaml).",
        ),
        (
            _zip(),
            "archive.zip",
            "The content of archive.zip is application/zip, which is not accepted as evidence; "
            "upload PDF, PNG, JPEG, or UTF-8 text (txt, csv, json, md, log, yaml).",
        ),
        (
            "UTF-16 text with a byte order mark\n".encode("utf-16"),
            "export.csv",
            "export.csv is named as CSV text but its content is text in utf-16le, not UTF-8; "
            "evidence must be PDF, PNG, JPEG, or UTF-8 text (txt, csv, json, md, log, yaml).",
        ),
        (
            b"line\n" * 40_000 + b"\x00\x01\x02 binary tail",
            "app.log",
            "app.log starts as text but holds binary data further on; "
            "evidence must be PDF, PNG, JPEG, or UTF-8 text (txt, csv, json, md, log, yaml).",
        ),
        (
            b"ok\n" * 50_000 + b"\xc3",
            "cut.txt",
            "cut.txt starts as text but holds binary data further on; "
            "evidence must be PDF, PNG, JPEG, or UTF-8 text (txt, csv, json, md, log, yaml).",
        ),
    ],
)
def test_it_refuses_disguised_and_unknown_types(evidence_root, data, filename, message):
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(data, filename)
    assert caught.value.message == message
    assert listing(evidence_root) == []


def test_it_refuses_an_empty_file(evidence_root):
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(b"", "empty.txt")
    assert caught.value.message == "empty.txt is empty; upload a file with content."
    assert listing(evidence_root) == []


@pytest.mark.parametrize(
    "filename, message",
    [
        ("../etc/passwd", "The file name must not contain a folder path"),
        ("a/b.txt", "The file name must not contain a folder path"),
        ("a\\b.txt", "The file name must not contain a folder path"),
        ("..", "The file name must not contain a folder path"),
        ("bad\x00name.txt", "The file name contains a control or invisible formatting"),
        ("line\nbreak.txt", "The file name contains a control or invisible formatting"),
        ("invoice\u202etxt.exe", "The file name contains a control or invisible formatting"),
        ("x" * 197 + ".txt", "The file name is 201 characters long; the limit is 200."),
        ("   ", "The file has no name"),
    ],
)
def test_it_refuses_bad_names(evidence_root, filename, message):
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(TEXT, filename)
    assert caught.value.message.startswith(message)
    assert listing(evidence_root) == []


def test_it_refuses_a_file_over_the_limit(evidence_root, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(b"a" * 1001, "big.txt")
    assert caught.value.message == (
        "big.txt is larger than 1,000 bytes, the limit for an evidence file; "
        "upload an excerpt or split it."
    )
    assert listing(evidence_root) == []
    assert store_bytes(b"a" * 1000, "exact.txt").size == 1000


def test_it_takes_max_bytes_from_the_caller(evidence_root):
    with pytest.raises(EvidenceRejected, match="larger than 1 MB"):
        store_bytes(b"a" * (MB + 1), "big.txt", max_bytes=MB)
    assert listing(evidence_root) == []


class CountingStream:
    """A binary file object backed by a generator; counts the bytes handed out."""

    def __init__(self, total: int, first: bytes = b"") -> None:
        self.handed_out = 0
        self._pieces = self._generate(total, first)
        self._buffer = b""

    @staticmethod
    def _generate(total: int, first: bytes):
        yield first
        block = bytes(range(256)) * 1024  # 256 KiB
        remaining = total - len(first)
        while remaining > 0:
            yield block[:remaining]
            remaining -= len(block)

    def read(self, size: int = -1) -> bytes:
        while len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        piece, self._buffer = self._buffer[:size], self._buffer[size:]
        self.handed_out += len(piece)
        return piece


def test_it_stops_reading_as_soon_as_the_limit_is_passed(evidence_root):
    stream = CountingStream(25 * MB, first=pdf_bytes())
    with pytest.raises(EvidenceRejected) as caught:
        store_upload(stream, filename="huge.pdf")
    assert caught.value.message == (
        "huge.pdf is larger than 20 MB, the limit for an evidence file; "
        "upload an excerpt or split it."
    )
    assert 20 * MB < stream.handed_out <= 20 * MB + 64 * 1024
    assert listing(evidence_root) == []


def test_it_refuses_an_upload_whose_declared_size_is_over_the_limit(evidence_root, settings):
    settings.EVIDENCE_MAX_BYTES = MB
    upload = TemporaryUploadedFile("big.pdf", "application/pdf", 2 * MB, None)
    try:
        with pytest.raises(EvidenceRejected, match="larger than 1 MB"):
            store_upload(upload, filename=upload.name)
        assert upload.tell() == 0  # refused without reading a byte
    finally:
        upload.close()
    assert listing(evidence_root) == []


def test_it_reads_django_uploads_by_chunks(evidence_root):
    data = b"row,value\n" + b"tls,1.2\n" * 50_000
    upload = SimpleUploadedFile("export.csv", data, content_type="application/octet-stream")
    blob = store_upload(upload, filename=upload.name)
    assert (blob.extension, blob.size) == ("csv", len(data))
    assert b"".join(open_blob(blob.name)) == data


class FailingStream:
    def __init__(self) -> None:
        self.calls = 0

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 3:
            raise OSError("connection reset by peer")
        return b"log line\n" * (size // 9)


def test_it_leaves_nothing_behind_when_reading_fails(evidence_root):
    with pytest.raises(OSError, match="connection reset"):
        store_upload(FailingStream(), filename="app.log")
    assert listing(evidence_root) == []


def test_it_keeps_peak_memory_far_below_the_file_size(evidence_root):
    import tracemalloc

    data = (b"2024-05-01T10:00:00Z INFO GET /healthz 200 took=3ms\n") * (6 * MB // 52)
    stream = io.BytesIO(data)
    tracemalloc.start()
    try:
        store_upload(stream, filename="app.log")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * MB
