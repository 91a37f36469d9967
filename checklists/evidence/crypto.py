"""Chunked AES-256-GCM for evidence blobs, and the key ring they are sealed with.

File format, version 1 (all integers big-endian):

    header  = b"PEVD" | version (1 byte, 1) | chunk size (4 bytes, 65536)
              | key id length (1 byte) | key id (ASCII) | nonce prefix (8 random bytes)
    chunk i = AESGCM(key).encrypt(nonce_i, plaintext_i, aad_i)   # ciphertext + 16-byte tag
    nonce_i = nonce prefix | i (4 bytes)
    aad_i   = header | i (4 bytes) | final flag (1 byte: 1 on the last chunk, else 0)

Every chunk but the last holds exactly `chunk size` plaintext bytes. Binding the whole header
into every chunk ties chunks to this file (another file's chunks fail) and to the key id; the
index in the nonce and AAD detects reordering; the final flag detects truncation at a chunk
boundary and anything appended after the last chunk. The nonce prefix is random per file, so
one key can safely seal about 2**16 files before a prefix collision reaches 2**-33; rotate
keys (`rotate_evidence_keys`) well before that.
"""

import base64
import binascii
import os
import re
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from checklists.evidence.errors import BlobKeyMissing, BlobTampered

MAGIC = b"PEVD"
VERSION = 1
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
NONCE_PREFIX_SIZE = 8
MAX_CHUNKS = 2**32
_KEY_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOCAL_KEY_FILE = "evidence-keys"


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class KeyRing:
    """Newest key first: it seals; every key opens."""

    keys: tuple[Key, ...]

    @property
    def current(self) -> Key:
        return self.keys[0]

    def get(self, key_id: str) -> Key:
        for key in self.keys:
            if key.id == key_id:
                return key
        raise BlobKeyMissing(
            f"the blob is sealed with key {key_id!r}, which is not in EVIDENCE_KEYS"
        )


def parse_keys(entries: list[str], *, source: str = "EVIDENCE_KEYS") -> KeyRing:
    """Parse `keyid:base64(32 bytes)` entries; errors name the entry, never its value."""
    keys: list[Key] = []
    for number, entry in enumerate(entries, start=1):
        key_id, colon, encoded = entry.strip().partition(":")
        if not colon or not _KEY_ID_RE.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"{source} entry {number} must be keyid:base64 with a key id of letters, "
                "digits, '.', '_' or '-' (at most 64)"
            )
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise ImproperlyConfigured(f"{source} key {key_id!r} is not valid base64") from exc
        if len(secret) != 32:
            raise ImproperlyConfigured(
                f"{source} key {key_id!r} must decode to 32 bytes (AES-256), not {len(secret)}"
            )
        if any(key.id == key_id for key in keys):
            raise ImproperlyConfigured(f"{source} lists key id {key_id!r} twice")
        keys.append(Key(id=key_id, secret=secret))
    if not keys:
        raise ImproperlyConfigured(f"{source} holds no keys")
    return KeyRing(tuple(keys))


def _local_keys() -> list[str]:
    """Local runs only: a key kept under DATA_DIR/keys, created on first use (mode 0600)."""
    directory = settings.DATA_DIR / "keys"
    path = directory / LOCAL_KEY_FILE
    if not path.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        entry = f"local-{secrets.token_hex(4)}:{base64.b64encode(secrets.token_bytes(32)).decode()}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(entry + "\n")
    return [line for line in path.read_text().splitlines() if line.strip()]


def load_keyring() -> KeyRing:
    """The key ring from settings.EVIDENCE_KEYS, or the local key file when DEBUG is on."""
    entries = list(settings.EVIDENCE_KEYS)
    if entries:
        return parse_keys(entries)
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "EVIDENCE_KEYS (or EVIDENCE_KEYS_FILE) is required when DEBUG is off: "
            "comma-separated keyid:base64(32 random bytes), newest first"
        )
    return parse_keys(_local_keys(), source=str(settings.DATA_DIR / "keys" / LOCAL_KEY_FILE))


def _header(key_id: str, prefix: bytes, chunk_size: int = CHUNK_SIZE) -> bytes:
    encoded = key_id.encode("ascii")
    return MAGIC + struct.pack(">BIB", VERSION, chunk_size, len(encoded)) + encoded + prefix


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">IB", index, final)


class Sealer:
    """Writes the header, then seals what is written to it in chunks; call close() once."""

    def __init__(self, key: Key, out: BinaryIO) -> None:
        self._prefix = secrets.token_bytes(NONCE_PREFIX_SIZE)
        self._header = _header(key.id, self._prefix)
        self._aead = AESGCM(key.secret)
        self._out = out
        self._index = 0
        self._buffer = bytearray()
        out.write(self._header)

    def _seal(self, plaintext: bytes, *, final: bool) -> None:
        if self._index >= MAX_CHUNKS:
            raise ValueError("too many chunks for one blob")
        nonce = self._prefix + struct.pack(">I", self._index)
        aad = _aad(self._header, self._index, final)
        self._out.write(self._aead.encrypt(nonce, plaintext, aad))
        self._index += 1

    def write(self, data: bytes) -> None:
        self._buffer += data
        # Keep at least one byte back: only close() knows which chunk is the last.
        while len(self._buffer) > CHUNK_SIZE:
            self._seal(bytes(self._buffer[:CHUNK_SIZE]), final=False)
            del self._buffer[:CHUNK_SIZE]

    def close(self) -> None:
        self._seal(bytes(self._buffer), final=True)
        self._buffer = bytearray()


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    parts = []
    while size > 0:
        part = source.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def read_header(source: BinaryIO) -> tuple[bytes, str, bytes, int]:
    """(header bytes, key id, nonce prefix, chunk size) from the start of a blob."""
    fixed = _read_exactly(source, len(MAGIC) + 6)
    if len(fixed) < len(MAGIC) + 6 or fixed[: len(MAGIC)] != MAGIC:
        raise BlobTampered("the blob does not start with an evidence header")
    version, chunk_size, id_length = struct.unpack(">BIB", fixed[len(MAGIC) :])
    if version != VERSION or not 0 < chunk_size <= 16 * 1024 * 1024 or id_length == 0:
        raise BlobTampered(f"the blob header is not a version {VERSION} evidence header")
    rest = _read_exactly(source, id_length + NONCE_PREFIX_SIZE)
    if len(rest) < id_length + NONCE_PREFIX_SIZE:
        raise BlobTampered("the blob header is cut short")
    try:
        key_id = rest[:id_length].decode("ascii")
    except UnicodeDecodeError as exc:
        raise BlobTampered("the blob header holds a malformed key id") from exc
    return fixed + rest, key_id, rest[id_length:], chunk_size


def key_id_of(source: BinaryIO) -> str:
    return read_header(source)[1]


def open_chunks(source: BinaryIO, keyring: KeyRing) -> Iterator[bytes]:
    """Check the header now; the iterator yields each chunk only after it authenticates."""
    header, key_id, prefix, chunk_size = read_header(source)
    aead = AESGCM(keyring.get(key_id).secret)
    sealed_size = chunk_size + TAG_SIZE

    def chunks() -> Iterator[bytes]:
        current = _read_exactly(source, sealed_size)
        if not current:
            raise BlobTampered("the blob has a header but no chunks")
        index = 0
        while True:
            following = _read_exactly(source, sealed_size)
            final = not following
            nonce = prefix + struct.pack(">I", index)
            try:
                plaintext = aead.decrypt(nonce, current, _aad(header, index, final))
            except InvalidTag as exc:
                raise BlobTampered(
                    f"chunk {index} fails authentication: the blob was altered, cut short, "
                    "reordered or mixed with another blob"
                ) from exc
            yield plaintext
            if final:
                return
            current, index = following, index + 1

    return chunks()
