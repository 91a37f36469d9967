"""Chunked AES-256-GCM for evidence blobs, and the key ring they are sealed with.

File format, version 2 (all integers big-endian):

    header  = b"PEVD" | version (1 byte, 2) | chunk size (4 bytes, 65536)
              | key id length (1 byte) | key id (ASCII) | salt (32 random bytes)
              | name length (1 byte) | name (ASCII)
    file key = HKDF-SHA256(master key, salt, info=b"portal evidence v2")
    chunk i = AESGCM(file key).encrypt(nonce_i, plaintext_i, aad_i)   # ciphertext + 16-byte tag
    nonce_i = i (12 bytes)
    aad_i   = header | i (4 bytes) | final flag (1 byte: 1 on the last chunk, else 0)

Every chunk but the last holds exactly `chunk size` plaintext bytes. Every file has its own key
(the salt is random per file), so a counter is a safe nonce and a master key seals any number of
files. Binding the whole header into every chunk ties chunks to this file, to the key id and to
the name the blob was stored under: a blob copied or swapped onto another name is refused before
a byte is decrypted. The index detects reordering; the final flag detects truncation at a chunk
boundary and anything appended after the last chunk.

Version 1 (a random 8-byte nonce prefix under the master key itself, no name) is still read, so
blobs written before version 2 open until `rotate_evidence_keys` rewrites them; nothing writes it.
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
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from checklists.evidence.errors import BlobKeyMissing, BlobTampered

MAGIC = b"PEVD"
VERSION = 2
READABLE_VERSIONS = (1, 2)
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
SALT_SIZE = 32
NONCE_SIZE = 12
V1_NONCE_PREFIX_SIZE = 8
MAX_CHUNKS = 2**32
_KEY_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
BLOB_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_HKDF_INFO = b"portal evidence v2"
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


@dataclass(frozen=True)
class Header:
    raw: bytes
    version: int
    chunk_size: int
    key_id: str
    salt: bytes  # version 1: the nonce prefix
    name: str | None  # version 1 blobs carry no name


def _header(key_id: str, salt: bytes, name: str, chunk_size: int = CHUNK_SIZE) -> bytes:
    encoded_id, encoded_name = key_id.encode("ascii"), name.encode("ascii")
    return (
        MAGIC
        + struct.pack(">BIB", VERSION, chunk_size, len(encoded_id))
        + encoded_id
        + salt
        + struct.pack(">B", len(encoded_name))
        + encoded_name
    )


def _file_key(master: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(master)


def _nonce(header: Header, index: int) -> bytes:
    if header.version == 1:
        return header.salt + struct.pack(">I", index)
    return index.to_bytes(NONCE_SIZE, "big")


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">IB", index, final)


def check_name(name: str) -> str:
    if not isinstance(name, str) or not BLOB_NAME_RE.fullmatch(name):
        raise ValueError("a blob name is 1 to 64 letters, digits, '.', '_' or '-'")
    return name


class Sealer:
    """Writes the header, then seals what is written to it in chunks; call close() once.

    `name` is the name the blob is stored under: opening it under any other name fails.
    """

    def __init__(self, key: Key, out: BinaryIO, *, name: str) -> None:
        salt = secrets.token_bytes(SALT_SIZE)
        self._header = _header(key.id, salt, check_name(name))
        self._aead = AESGCM(_file_key(key.secret, salt))
        self._out = out
        self._index = 0
        self._buffer = bytearray()
        out.write(self._header)

    def _seal(self, plaintext: bytes, *, final: bool) -> None:
        if self._index >= MAX_CHUNKS:
            raise ValueError("too many chunks for one blob")
        nonce = self._index.to_bytes(NONCE_SIZE, "big")
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


def _read_field(source: BinaryIO, size: int, what: str) -> bytes:
    data = _read_exactly(source, size)
    if len(data) < size:
        raise BlobTampered(f"the blob header is cut short in its {what}")
    return data


def read_header(source: BinaryIO) -> Header:
    """The header at the start of a blob, version 1 or 2; BlobTampered if malformed."""
    fixed = _read_exactly(source, len(MAGIC) + 6)
    if len(fixed) < len(MAGIC) + 6 or fixed[: len(MAGIC)] != MAGIC:
        raise BlobTampered("the blob does not start with an evidence header")
    version, chunk_size, id_length = struct.unpack(">BIB", fixed[len(MAGIC) :])
    if version not in READABLE_VERSIONS:
        raise BlobTampered(f"the blob header has unknown format version {version}")
    if not 0 < chunk_size <= 16 * 1024 * 1024 or id_length == 0:
        raise BlobTampered(f"the blob header is not a valid version {version} header")
    raw_id = _read_field(source, id_length, "key id")
    try:
        key_id = raw_id.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BlobTampered("the blob header holds a malformed key id") from exc
    if version == 1:
        prefix = _read_field(source, V1_NONCE_PREFIX_SIZE, "nonce prefix")
        return Header(fixed + raw_id + prefix, 1, chunk_size, key_id, prefix, None)
    salt = _read_field(source, SALT_SIZE, "salt")
    name_length = _read_field(source, 1, "name length")
    raw_name = _read_field(source, name_length[0], "name")
    try:
        name = check_name(raw_name.decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BlobTampered("the blob header holds a malformed name") from exc
    raw = fixed + raw_id + salt + name_length + raw_name
    return Header(raw, version, chunk_size, key_id, salt, name)


def key_id_of(source: BinaryIO) -> str:
    return read_header(source).key_id


def open_chunks(source: BinaryIO, keyring: KeyRing, *, name: str) -> Iterator[tuple[bytes, bool]]:
    """Check the header now; yields (plaintext, is_last) for each chunk once it authenticates.

    A version 2 blob must carry `name`, the name it is being opened under.
    """
    header = read_header(source)
    if header.version >= 2 and header.name != name:
        raise BlobTampered(
            f"the blob stored as {name} was sealed as {header.name}: blobs were swapped or "
            "copied on the evidence volume"
        )
    secret = keyring.get(header.key_id).secret
    aead = AESGCM(secret if header.version == 1 else _file_key(secret, header.salt))
    sealed_size = header.chunk_size + TAG_SIZE

    def chunks() -> Iterator[tuple[bytes, bool]]:
        current = _read_exactly(source, sealed_size)
        if not current:
            raise BlobTampered("the blob has a header but no chunks")
        index = 0
        while True:
            following = _read_exactly(source, sealed_size)
            final = not following
            try:
                plaintext = aead.decrypt(
                    _nonce(header, index), current, _aad(header.raw, index, final)
                )
            except InvalidTag as exc:
                raise BlobTampered(
                    f"chunk {index} fails authentication: the blob was altered, cut short, "
                    "reordered or mixed with another blob"
                ) from exc
            yield plaintext, final
            if final:
                return
            current, index = following, index + 1

    return chunks()
