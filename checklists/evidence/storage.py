"""Where evidence files live: checked, scanned, encrypted, and stored under random names.

`store_upload` streams the upload once: it counts bytes (refusing as soon as the limit is
passed), hashes the plaintext, sniffs the type from the first bytes, checks text to the end
as strict UTF-8 and scans it line by line for credentials, and seals it in chunks into a temp
file beside its final place. Only when every check has passed is the temp file fsynced and
renamed; on any failure it is removed.

What is scanned for secrets: every text file (txt, csv, json, md, log, yaml), whole, line by
line. PDFs and images are not scanned: their text sits in compressed streams or pixels, so
reviewers remain responsible for what they show.
"""

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from checklists.evidence import crypto
from checklists.evidence.errors import (
    BlobKeyMissing,
    BlobTampered,
    BlobUnreadable,
    EvidenceRejected,
)
from checklists.evidence.filenames import clean_filename
from checklists.evidence.scanning import TextScanner
from checklists.evidence.types import (
    ALLOWED_SUMMARY,
    BINARY_CONTROL_RE,
    EvidenceType,
    detect_type,
    new_text_decoder,
)

__all__ = [
    "BlobKeyMissing",
    "BlobTampered",
    "BlobUnreadable",
    "EvidenceRejected",
    "StoredBlob",
    "blob_path",
    "clean_filename",
    "delete_blob",
    "evidence_root",
    "open_blob",
    "reencrypt_blob",
    "store_upload",
]

BLOB_NAME_RE = re.compile(r"[0-9a-f]{32}")
READ_SIZE = 64 * 1024
SNIFF_SIZE = 8 * 1024  # libmagic needs only the start of PDF, PNG and JPEG files
_TEMP_PREFIX = ".partial-"


@dataclass(frozen=True)
class StoredBlob:
    name: str
    size: int
    sha256: str
    content_type: str
    extension: str


def evidence_root() -> Path:
    """settings.EVIDENCE_ROOT, created (mode 0700) and refused inside static or media roots."""
    root = Path(settings.EVIDENCE_ROOT).resolve()
    for setting in ("STATIC_ROOT", "MEDIA_ROOT"):
        served = getattr(settings, setting, None)
        if served and root.is_relative_to(Path(served).resolve()):
            raise ImproperlyConfigured(f"EVIDENCE_ROOT must not be inside {setting}")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def blob_path(name: str) -> Path:
    """The blob's path; refuses anything but a name store_upload could have made."""
    if not isinstance(name, str) or not BLOB_NAME_RE.fullmatch(name):
        raise ValueError("not an evidence blob name")
    return evidence_root() / name


def _megabytes(size: int) -> str:
    mib = 1024 * 1024
    return f"{size // mib} MB" if size % mib == 0 else f"{size:,} bytes"


def _pieces(file: Any) -> Iterator[bytes]:
    if hasattr(file, "chunks"):
        yield from file.chunks(READ_SIZE)
        return
    while piece := file.read(READ_SIZE):
        yield piece


class _Intake:
    """One upload's checks, fed piece by piece; writes sealed chunks to `out`."""

    def __init__(self, *, filename: str, limit: int, key: crypto.Key, out: BinaryIO) -> None:
        self.filename = filename
        self.limit = limit
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.type: EvidenceType | None = None
        self._head = bytearray()
        self._decoder = new_text_decoder()
        self._scanner = TextScanner()
        self._sealer = crypto.Sealer(key, out)

    def feed(self, piece: bytes) -> None:
        if not isinstance(piece, bytes | bytearray | memoryview):
            raise TypeError("evidence must be read from a binary file")
        self.size += len(piece)
        if self.size > self.limit:
            raise EvidenceRejected(
                f"{self.filename} is larger than {_megabytes(self.limit)}, the limit for an "
                "evidence file; upload an excerpt or split it."
            )
        self.sha256.update(piece)
        if self.type is None:
            self._head += piece
            if len(self._head) < SNIFF_SIZE:
                return
            piece, self._head = bytes(self._head), bytearray()
            self.type = detect_type(piece[:READ_SIZE], filename=self.filename)
        self._process(piece)

    def _process(self, piece: bytes, *, final: bool = False) -> None:
        assert self.type is not None
        if self.type.is_text:
            try:
                text = self._decoder.decode(piece, final=final)
            except UnicodeDecodeError:
                text = None
            if text is None or BINARY_CONTROL_RE.search(text):
                raise EvidenceRejected(
                    f"{self.filename} starts as text but holds binary data further on; "
                    f"evidence must be {ALLOWED_SUMMARY}."
                )
            finding = self._scanner.feed(text) if text else None
            if final and finding is None:
                finding = self._scanner.finish()
            if finding is not None:
                raise EvidenceRejected(finding.message)
        self._sealer.write(piece)

    def finish(self) -> None:
        if self.size == 0:
            raise EvidenceRejected(f"{self.filename} is empty; upload a file with content.")
        if self.type is None:
            head, self._head = bytes(self._head), bytearray()
            self.type = detect_type(head, filename=self.filename)
            self._process(head, final=True)
        else:
            self._process(b"", final=True)
        self._sealer.close()


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(root: Path, target: Path, write: Any) -> Any:
    """Run write(handle) on a temp file in root, then rename it to target; never leave it."""
    fd, temp = tempfile.mkstemp(dir=root, prefix=_TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_directory(root)
    return result


def store_upload(file: Any, *, filename: str, max_bytes: int | None = None) -> StoredBlob:
    """Check, scan, encrypt and store an upload (a Django UploadedFile or binary file object).

    Raises EvidenceRejected with a message for the uploader; nothing is kept on any failure.
    """
    filename = clean_filename(filename)
    limit = settings.EVIDENCE_MAX_BYTES if max_bytes is None else max_bytes
    declared = getattr(file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise EvidenceRejected(
            f"{filename} is larger than {_megabytes(limit)}, the limit for an evidence file; "
            "upload an excerpt or split it."
        )
    key = crypto.load_keyring().current
    root = evidence_root()
    name = secrets.token_hex(16)

    def write(handle: BinaryIO) -> _Intake:
        intake = _Intake(filename=filename, limit=limit, key=key, out=handle)
        for piece in _pieces(file):
            intake.feed(piece)
        intake.finish()
        return intake

    intake = _write_atomically(root, root / name, write)
    assert intake.type is not None
    return StoredBlob(
        name=name,
        size=intake.size,
        sha256=intake.sha256.hexdigest(),
        content_type=intake.type.content_type,
        extension=intake.type.extension,
    )


class _BlobReader(Iterator[bytes]):
    """Closes its file when exhausted, on error, or on close() (StreamingHttpResponse)."""

    def __init__(self, handle: BinaryIO, chunks: Iterator[bytes]) -> None:
        self._handle = handle
        self._chunks = chunks

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._handle.close()


def open_blob(name: str) -> Iterator[bytes]:
    """The plaintext, chunk by chunk; raises BlobTampered before yielding an altered chunk."""
    handle = blob_path(name).open("rb")
    try:
        chunks = crypto.open_chunks(handle, crypto.load_keyring())
    except BaseException:
        handle.close()
        raise
    return _BlobReader(handle, chunks)


def delete_blob(name: str) -> None:
    """Remove the blob; a blob already gone is not an error."""
    with suppress(FileNotFoundError):
        blob_path(name).unlink()


def reencrypt_blob(name: str, *, keyring: crypto.KeyRing | None = None) -> bool:
    """Re-seal the blob under the newest key; False if it already is. Raises BlobUnreadable."""
    keyring = keyring or crypto.load_keyring()
    path = blob_path(name)
    with path.open("rb") as source:
        if crypto.key_id_of(source) == keyring.current.id:
            return False
        source.seek(0)
        chunks = crypto.open_chunks(source, keyring)

        def write(handle: BinaryIO) -> None:
            sealer = crypto.Sealer(keyring.current, handle)
            for chunk in chunks:
                sealer.write(chunk)
            sealer.close()
            if not path.exists():
                raise FileNotFoundError(f"{name} was deleted while it was re-encrypted")

        _write_atomically(path.parent, path, write)
    return True


def iter_blob_names() -> Iterable[str]:
    """Every stored blob's name (temp files are skipped)."""
    return sorted(p.name for p in evidence_root().iterdir() if BLOB_NAME_RE.fullmatch(p.name))
