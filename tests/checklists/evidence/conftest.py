import base64
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from checklists.evidence.storage import StoredBlob, store_upload

MB = 1024 * 1024


def key_entry(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


@pytest.fixture
def evidence_root(settings, tmp_path) -> Path:
    """A fresh EVIDENCE_ROOT and key ring for each test."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    settings.EVIDENCE_KEYS = [key_entry("k1")]
    settings.EVIDENCE_MAX_BYTES = 20 * MB
    settings.DATA_DIR = tmp_path / "data"
    return settings.EVIDENCE_ROOT


def listing(root: Path) -> list[str]:
    """Every entry in the evidence folder, temp files included."""
    return sorted(os.listdir(root)) if root.exists() else []


def store_bytes(data: bytes, filename: str, **kwargs) -> StoredBlob:
    return store_upload(io.BytesIO(data), filename=filename, **kwargs)


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xdb\x00\x43\x00" + bytes(range(64)) + b"\xff\xd9"


def pdf_bytes(text: str = "Firewall review 2026-Q4: deny by default", padding: int = 0) -> bytes:
    """A well-formed one-page PDF whose page shows `text` (pypdf extracts it), plus `padding`
    random bytes in an unreferenced stream (to make the file span several chunks)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode()
    filler = os.urandom(padding)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(filler) + filler + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def seal_v1(key_entry_text: str, plaintext: bytes) -> bytes:
    """A blob in format version 1, written independently of the code under test."""
    key_id, _, encoded = key_entry_text.partition(":")
    aead = AESGCM(base64.b64decode(encoded))
    prefix = os.urandom(8)
    header = b"PEVD" + struct.pack(">BIB", 1, 65536, len(key_id)) + key_id.encode() + prefix
    pieces = [plaintext[i : i + 65536] for i in range(0, len(plaintext), 65536)] or [b""]
    sealed = [
        aead.encrypt(
            prefix + struct.pack(">I", index),
            piece,
            header + struct.pack(">IB", index, index == len(pieces) - 1),
        )
        for index, piece in enumerate(pieces)
    ]
    return header + b"".join(sealed)
