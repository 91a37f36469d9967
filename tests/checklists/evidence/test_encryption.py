import os
import stat

import pytest

from checklists.evidence import crypto
from checklists.evidence.storage import (
    BlobKeyMissing,
    BlobTampered,
    blob_path,
    delete_blob,
    open_blob,
)

from .conftest import key_entry, listing, store_bytes

CHUNK = crypto.CHUNK_SIZE
SEALED = CHUNK + crypto.TAG_SIZE
PLAINTEXT = b"".join(b"%06d merchant evidence line for TLS-1\n" % i for i in range(6000))


def _header_size(path) -> int:
    with path.open("rb") as handle:
        return len(crypto.read_header(handle).raw)


def _chunks_of(path) -> tuple[bytes, list[bytes]]:
    raw = path.read_bytes()
    size = _header_size(path)
    body = raw[size:]
    return raw[:size], [body[i : i + SEALED] for i in range(0, len(body), SEALED)]


def _read_until_error(name: str) -> tuple[bytes, Exception | None]:
    received = b""
    try:
        for chunk in open_blob(name):
            received += chunk
    except Exception as exc:
        return received, exc
    return received, None


@pytest.fixture
def blob(evidence_root):
    assert len(PLAINTEXT) > 3 * CHUNK  # four chunks, the last one partial
    return store_bytes(PLAINTEXT, "access.log")


def test_it_stores_only_ciphertext(blob):
    path = blob_path(blob.name)
    raw = path.read_bytes()
    assert raw.startswith(b"PEVD\x02")
    assert blob.name.encode() in raw[: _header_size(path)]  # the name it was sealed under
    assert b"merchant evidence" not in raw
    assert PLAINTEXT[:64] not in raw
    assert len(raw) == _header_size(path) + len(PLAINTEXT) + 4 * crypto.TAG_SIZE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_it_round_trips(blob):
    chunks = list(open_blob(blob.name))
    assert [len(c) for c in chunks[:-1]] == [CHUNK] * 3
    assert b"".join(chunks) == PLAINTEXT


def test_it_names_blobs_randomly_and_checks_names(blob, evidence_root):
    other = store_bytes(PLAINTEXT, "access.log")
    assert blob.name != other.name and len(blob.name) == 32
    for bad in ("../secret_key", "a" * 31, "A" * 32, blob.name + "/", "", ".partial-x"):
        with pytest.raises(ValueError):
            blob_path(bad)


def test_it_deletes_blobs(blob, evidence_root):
    delete_blob(blob.name)
    delete_blob(blob.name)  # already gone: no error
    assert listing(evidence_root) == []
    with pytest.raises(FileNotFoundError):
        open_blob(blob.name)


def test_it_detects_a_flipped_byte_before_yielding_the_chunk(blob):
    path = blob_path(blob.name)
    raw = bytearray(path.read_bytes())
    raw[_header_size(path) + SEALED + 100] ^= 0x01  # inside chunk 1
    path.write_bytes(raw)
    received, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered)
    assert "chunk 1 fails authentication" in str(error)
    assert received == PLAINTEXT[:CHUNK]  # chunk 0 only; nothing from the altered chunk


def test_it_detects_a_flipped_tag(blob):
    path = blob_path(blob.name)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0x80
    path.write_bytes(raw)
    received, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered)
    assert received == PLAINTEXT[: 3 * CHUNK]


@pytest.mark.parametrize("position", ["salt", "name"])
def test_it_detects_an_altered_header(blob, position):
    path = blob_path(blob.name)
    raw = bytearray(path.read_bytes())
    offset = _header_size(path) - 1 if position == "name" else _header_size(path) - 34
    raw[offset] ^= 0x01
    path.write_bytes(raw)
    received, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered) and received == b""


@pytest.mark.parametrize("cut", [1, crypto.TAG_SIZE + 10, "last chunk"])
def test_it_detects_truncation(blob, cut):
    path = blob_path(blob.name)
    header, chunks = _chunks_of(path)
    if cut == "last chunk":
        path.write_bytes(header + b"".join(chunks[:-1]))  # cut exactly at a chunk boundary
    else:
        path.write_bytes(path.read_bytes()[:-cut])
    received, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered)
    assert len(received) < len(PLAINTEXT)


def test_it_detects_a_blob_cut_to_its_header(blob):
    path = blob_path(blob.name)
    path.write_bytes(path.read_bytes()[: _header_size(path)])
    _, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered)


def test_it_detects_appended_data(blob):
    path = blob_path(blob.name)
    header, chunks = _chunks_of(path)
    path.write_bytes(header + b"".join(chunks) + chunks[-1])
    received, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered)
    assert received == PLAINTEXT[: 3 * CHUNK]


def test_it_detects_swapped_chunks(blob):
    path = blob_path(blob.name)
    header, chunks = _chunks_of(path)
    chunks[0], chunks[1] = chunks[1], chunks[0]
    path.write_bytes(header + b"".join(chunks))
    received, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered) and received == b""


def test_it_detects_a_chunk_taken_from_another_blob(blob):
    other = store_bytes(PLAINTEXT, "access.log")  # same key, same plaintext, same position
    header, chunks = _chunks_of(blob_path(blob.name))
    _, foreign = _chunks_of(blob_path(other.name))
    chunks[2] = foreign[2]
    blob_path(blob.name).write_bytes(header + b"".join(chunks))
    received, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered)
    assert received == PLAINTEXT[: 2 * CHUNK]


def test_it_reports_a_missing_key(blob, settings):
    settings.EVIDENCE_KEYS = [key_entry("k9")]
    with pytest.raises(BlobKeyMissing, match="sealed with key 'k1', which is not in EVIDENCE_KEYS"):
        open_blob(blob.name)


def test_it_detects_a_wrong_key_under_the_same_id(blob, settings):
    settings.EVIDENCE_KEYS = [key_entry("k1")]
    _, error = _read_until_error(blob.name)
    assert isinstance(error, BlobTampered)


def test_it_refuses_a_blob_stored_under_another_name(blob, evidence_root):
    other = store_bytes(b"another team's evidence\n", "other.txt")
    mine, theirs = blob_path(blob.name), blob_path(other.name)
    mine_bytes, theirs_bytes = mine.read_bytes(), theirs.read_bytes()
    mine.write_bytes(theirs_bytes)
    theirs.write_bytes(mine_bytes)
    for name, sealed_as in ((blob.name, other.name), (other.name, blob.name)):
        with pytest.raises(BlobTampered) as caught:
            open_blob(name)
        assert str(caught.value) == (
            f"the blob stored as {name} was sealed as {sealed_as}: blobs were swapped or "
            "copied on the evidence volume"
        )


def test_it_gives_each_file_its_own_key(blob, evidence_root):
    """Same key, same plaintext: different salts, so different file keys and ciphertexts."""
    other = store_bytes(PLAINTEXT, "access.log")
    header, chunks = _chunks_of(blob_path(blob.name))
    other_header, other_chunks = _chunks_of(blob_path(other.name))
    with blob_path(blob.name).open("rb") as a, blob_path(other.name).open("rb") as b:
        assert crypto.read_header(a).salt != crypto.read_header(b).salt
    assert chunks[0][:32] != other_chunks[0][:32]


def test_it_withholds_the_last_chunk_when_the_sha256_differs(blob):
    received = b""
    reader = open_blob(blob.name, sha256="0" * 64)
    with pytest.raises(BlobTampered, match="its last chunk was withheld"):
        for chunk in reader:
            received += chunk
    assert received == PLAINTEXT[: 3 * CHUNK]


def test_it_refuses_a_one_chunk_file_with_another_sha256_before_returning(evidence_root):
    small = store_bytes(b"one chunk only\n", "small.txt")
    with pytest.raises(BlobTampered, match="SHA-256 is .*, not 0{64} as recorded at upload"):
        open_blob(small.name, sha256="0" * 64)
    assert b"".join(open_blob(small.name, sha256=small.sha256)) == b"one chunk only\n"
