import base64
import io
import os
import struct
import zlib
from pathlib import Path

import pytest

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


def pdf_bytes(padding: int = 0) -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    )
    return body + b"%" + os.urandom(padding) + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
