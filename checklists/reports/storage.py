"""Where signed reports are kept: the same blob-store interface as evidence
(checklists/evidence/stores.py), on a root or prefix of their own, under random names.

REPORT_STORE names the class: the folder store on REPORT_ROOT (the default), or the storage
store on the "reports" backend (REPORT_STORAGE=s3), so a deployment that moves evidence to a
bucket moves reports with the same settings.

In the folder the report is the signed PDF itself. A store whose blobs leave the portal
(`off_site`) receives it sealed like evidence (checklists/evidence/crypto.py, under
EVIDENCE_KEYS and bound to its name), since a report names the team, its answers and its
evidence files. Reading tells the two apart by the first bytes and always gives the PDF, so
downloads, hashes and signature checks see exactly the bytes that were signed.
`rotate_evidence_keys` re-seals sealed reports with the evidence (`report_reseal`).
"""

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from checklists.evidence import crypto
from checklists.evidence.storage import reencrypt_blob
from checklists.evidence.stores import REPORTS_ALIAS, BlobStore, StorageStore, check_blob_name
from portal.env import private_dir

CHUNK = 64 * 1024


def report_blob_store() -> BlobStore:
    try:
        store_class = import_string(settings.REPORT_STORE)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"REPORT_STORE {settings.REPORT_STORE!r} cannot be imported"
        ) from exc
    if issubclass(store_class, StorageStore):
        return store_class(REPORTS_ALIAS)
    return store_class(private_dir(Path(settings.REPORT_ROOT)))


def _is_sealed(handle: BinaryIO) -> bool:
    sealed = handle.read(len(crypto.MAGIC)) == crypto.MAGIC
    handle.seek(0)
    return sealed


def report_store(data: bytes) -> str:
    """Keep `data` under a new random name and return the name; the store writes it whole or
    not at all."""
    name = secrets.token_hex(16)
    store = report_blob_store()
    if getattr(store, "off_site", False):
        key = crypto.load_keyring().current

        def write(handle: BinaryIO) -> None:
            sealer = crypto.Sealer(key, handle, name=name)
            sealer.write(data)
            sealer.close()

        store.put(name, write)
    else:
        store.put(name, lambda handle: handle.write(data))
    return name


def report_chunks(name: str) -> Iterator[bytes]:
    """The signed PDF in pieces; a sealed report is decrypted, each piece released only after
    it authenticates (BlobUnreadable otherwise)."""
    with report_blob_store().open(check_blob_name(name)) as handle:
        if _is_sealed(handle):
            for plaintext, _final in crypto.open_chunks(handle, crypto.load_keyring(), name=name):
                yield plaintext
            return
        while piece := handle.read(CHUNK):
            yield piece


def report_read(name: str) -> bytes:
    return b"".join(report_chunks(name))


def report_discard(name: str) -> None:
    """Only for a file whose row was never saved (the run failed after storing it)."""
    report_blob_store().delete(check_blob_name(name))


def report_names() -> list[str]:
    return report_blob_store().names()


def report_is_sealed(name: str) -> bool:
    with report_blob_store().open(check_blob_name(name)) as handle:
        return _is_sealed(handle)


def report_reseal(name: str, *, keyring: crypto.KeyRing, sha256: str | None) -> bool:
    """Re-seal a sealed report under the newest key (False if it already is); with `sha256`
    (the PDF's, recorded at export) the decrypted PDF must match it or nothing is replaced."""
    return reencrypt_blob(name, keyring=keyring, sha256=sha256, store=report_blob_store())
