"""Evidence files: checked, scanned, encrypted, and kept in the evidence store.

`store_upload` streams the upload once: it counts bytes (refusing as soon as the limit is
passed), hashes the plaintext, sniffs the type from the first bytes, checks text to the end as
strict UTF-8 and scans it line by line for credentials, and seals it in chunks into the store
(`stores.evidence_store()`), which keeps it only when every check has passed.

What is scanned for secrets: the file name; every text file (txt, csv, json, md, log, yaml),
whole, line by line; the text of every PDF page (`pdfs`), and a PDF that cannot be parsed is
refused. Images are not scanned: their text is pixels, so reviewers remain responsible for what
they show.

`open_blob` decrypts chunk by chunk and, given the SHA-256 recorded at upload, compares it
before the last chunk is released: a blob that does not match fails with BlobTampered and the
reader never receives the whole file.
"""

import hashlib
import io
import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

from checklists.evidence import crypto, pdfs
from checklists.evidence.errors import (
    BlobKeyMissing,
    BlobTampered,
    BlobUnreadable,
    EvidenceRejected,
)
from checklists.evidence.filenames import clean_filename, stored_filename
from checklists.evidence.scanning import TextScanner
from checklists.evidence.stores import BlobStore, FolderStore, check_blob_name, evidence_store
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

logger = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
SNIFF_SIZE = 8 * 1024  # libmagic needs only the start of PDF, PNG and JPEG files


@dataclass(frozen=True)
class StoredBlob:
    name: str
    size: int
    sha256: str
    content_type: str
    extension: str
    filename: str  # the name to keep and download under: its extension matches the content


def evidence_root() -> Path:
    """The folder of the folder store (settings.EVIDENCE_ROOT), created mode 0700."""
    return FolderStore().root


def blob_path(name: str) -> Path:
    """The blob's path in the folder store; refuses anything but a name the portal makes."""
    return FolderStore().path(name)


def _megabytes(size: int) -> str:
    mib = 1024 * 1024
    return f"{size // mib} MB" if size % mib == 0 else f"{size:,} bytes"


def too_large_message(filename: str, limit: int) -> str:
    return (
        f"{filename} is larger than {_megabytes(limit)}, the limit for an evidence file; "
        "upload an excerpt or split it."
    )


def _pieces(file: Any) -> Iterator[bytes]:
    if hasattr(file, "chunks"):
        yield from file.chunks(READ_SIZE)
        return
    while piece := file.read(READ_SIZE):
        yield piece


class _Intake:
    """One upload's checks, fed piece by piece; writes sealed chunks to `out`."""

    def __init__(
        self, *, filename: str, limit: int, key: crypto.Key, out: BinaryIO, name: str
    ) -> None:
        self.filename = filename
        self.limit = limit
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.type: EvidenceType | None = None
        self._head = bytearray()
        self._decoder = new_text_decoder()
        self._scanner = TextScanner()
        self._pdf: io.BytesIO | None = None
        self._sealer = crypto.Sealer(key, out, name=name)

    def feed(self, piece: bytes) -> None:
        if not isinstance(piece, bytes | bytearray | memoryview):
            raise TypeError("evidence must be read from a binary file")
        self.size += len(piece)
        if self.size > self.limit:
            raise EvidenceRejected(too_large_message(self.filename, self.limit))
        self.sha256.update(piece)
        if self.type is None:
            self._head += piece
            if len(self._head) < SNIFF_SIZE:
                return
            piece, self._head = bytes(self._head), bytearray()
            self._detect(piece[:READ_SIZE])
        self._process(piece)

    def _detect(self, head: bytes) -> None:
        self.type = detect_type(head, filename=self.filename)
        if self.type.extension == "pdf":
            # pypdf needs the whole document; it is at most `limit` bytes and stays in memory.
            self._pdf = io.BytesIO()

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
        elif self._pdf is not None:
            self._pdf.write(piece)
            if final:
                pdfs.check_pdf(self._pdf, filename=self.filename)
        self._sealer.write(piece)

    def finish(self) -> None:
        if self.size == 0:
            raise EvidenceRejected(f"{self.filename} is empty; upload a file with content.")
        if self.type is None:
            head, self._head = bytes(self._head), bytearray()
            self._detect(head)
            self._process(head, final=True)
        else:
            self._process(b"", final=True)
        self._sealer.close()


def store_upload(file: Any, *, filename: str, max_bytes: int | None = None) -> StoredBlob:
    """Check, scan, encrypt and store an upload (a Django UploadedFile or binary file object).

    Raises EvidenceRejected with a message for the uploader; nothing is kept on any failure.
    """
    filename = clean_filename(filename)
    limit = settings.EVIDENCE_MAX_BYTES if max_bytes is None else max_bytes
    declared = getattr(file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise EvidenceRejected(too_large_message(filename, limit))
    key = crypto.load_keyring().current
    name = secrets.token_hex(16)

    def write(handle: BinaryIO) -> _Intake:
        intake = _Intake(filename=filename, limit=limit, key=key, out=handle, name=name)
        for piece in _pieces(file):
            intake.feed(piece)
        intake.finish()
        return intake

    intake = evidence_store().put(name, write)
    assert intake.type is not None
    return StoredBlob(
        name=name,
        size=intake.size,
        sha256=intake.sha256.hexdigest(),
        content_type=intake.type.content_type,
        extension=intake.type.extension,
        filename=stored_filename(filename, intake.type),
    )


class _BlobReader(Iterator[bytes]):
    """Plaintext chunks of one blob; checks the SHA-256 before releasing the last chunk.

    Closes its file when exhausted, on error, or on close() (StreamingHttpResponse calls it).
    """

    def __init__(self, name: str, handle: BinaryIO, sha256: str | None) -> None:
        self._name = name
        self._handle = handle
        self._expected = sha256
        self._digest = hashlib.sha256()
        self._chunks = crypto.open_chunks(handle, crypto.load_keyring(), name=name)
        self._first: bytes | None = self._next()  # the header and chunk 0 are checked now

    def _next(self) -> bytes:
        plaintext, final = next(self._chunks)
        self._digest.update(plaintext)
        if final and self._expected is not None:
            actual = self._digest.hexdigest()
            if actual != self._expected:
                raise BlobTampered(
                    f"the decrypted file's SHA-256 is {actual}, not {self._expected} as recorded "
                    "at upload: the blob does not hold this file; its last chunk was withheld"
                )
        return plaintext

    def __next__(self) -> bytes:
        try:
            if self._first is not None:
                first, self._first = self._first, None
                return first
            return self._next()
        except StopIteration:
            self.close()
            raise
        except BlobUnreadable as exc:
            self.close()
            logger.error("evidence blob %s cannot be served: %s", self._name, exc)
            raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._handle.close()


def open_blob(name: str, *, sha256: str | None = None) -> Iterator[bytes]:
    """The plaintext, chunk by chunk, each released only after it authenticates.

    The header (key, format, the name the blob was sealed under) and the first chunk are checked
    before this returns; with `sha256`, the whole file's digest before the last chunk is given
    (for a version 1 blob, before this returns).
    """
    store = evidence_store()
    check_blob_name(name)
    handle = store.open(name)  # once: from a bucket, every open downloads the object
    try:
        if sha256 is not None and crypto.read_header(handle).version == 1:
            # Version 1 binds no name, so a blob moved here from another file would pass until
            # its hash is known: check the whole file first, and stream only a match.
            handle.close()
            with store.open(name) as first_pass:
                for _ in _BlobReader(name, first_pass, sha256):
                    pass
            handle = store.open(name)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    try:
        return _BlobReader(name, handle, sha256)
    except BlobUnreadable as exc:
        handle.close()
        logger.error("evidence blob %s cannot be served: %s", name, exc)
        raise
    except BaseException:
        handle.close()
        raise


def delete_blob(name: str) -> None:
    """Remove the blob; a blob already gone is not an error."""
    evidence_store().delete(check_blob_name(name))


def is_current(name: str, keyring: crypto.KeyRing, *, store: BlobStore | None = None) -> bool:
    """Whether the blob is in the current format under the newest key."""
    with (store or evidence_store()).open(check_blob_name(name)) as source:
        header = crypto.read_header(source)
    return header.version == crypto.VERSION and header.key_id == keyring.current.id


def reencrypt_blob(
    name: str,
    *,
    keyring: crypto.KeyRing | None = None,
    sha256: str | None = None,
    store: BlobStore | None = None,
) -> bool:
    """Re-seal the blob in the current format under the newest key; False if it already is.

    With `sha256` the plaintext must match it, or nothing is replaced. Raises BlobUnreadable.
    `store` is the evidence store unless given (sealed reports are re-sealed the same way).
    """
    keyring = keyring or crypto.load_keyring()
    store = store or evidence_store()
    if is_current(name, keyring, store=store):
        return False
    with store.open(name) as source:
        chunks = crypto.open_chunks(source, keyring, name=name)

        def write(handle: BinaryIO) -> None:
            sealer = crypto.Sealer(keyring.current, handle, name=name)
            digest = hashlib.sha256()
            for plaintext, _final in chunks:
                digest.update(plaintext)
                sealer.write(plaintext)
            if sha256 is not None and digest.hexdigest() != sha256:
                raise BlobTampered(
                    f"the decrypted file's SHA-256 is {digest.hexdigest()}, not {sha256} as "
                    "recorded at upload"
                )
            sealer.close()
            if not store.exists(name):
                raise FileNotFoundError(f"{name} was deleted while it was re-encrypted")

        store.put(name, write)
    return True


def iter_blob_names() -> Iterable[str]:
    """Every stored blob's name (temp files are skipped)."""
    return evidence_store().names()
