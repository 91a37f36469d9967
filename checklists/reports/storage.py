"""Where signed reports are kept: the same blob-store interface as evidence
(checklists/evidence/stores.py), on a root of their own, under random names, never changed.

Reports are signed and hashed rather than encrypted, so they skip the evidence sealing; the
store class is REPORT_STORE (by default the folder store, on REPORT_ROOT), so a deployment that
moves evidence to another backend moves reports with one setting.
"""

import secrets
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from checklists.evidence.stores import BlobStore, check_blob_name
from portal.env import private_dir

CHUNK = 64 * 1024


def _store() -> BlobStore:
    try:
        store_class = import_string(settings.REPORT_STORE)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"REPORT_STORE {settings.REPORT_STORE!r} cannot be imported"
        ) from exc
    return store_class(private_dir(Path(settings.REPORT_ROOT)))


def report_store(data: bytes) -> str:
    """Keep `data` under a new random name and return the name; the store writes it whole or
    not at all."""
    name = secrets.token_hex(16)
    _store().put(name, lambda handle: handle.write(data))
    return name


def report_open(name: str):
    return _store().open(check_blob_name(name))


def report_chunks(name: str) -> Iterator[bytes]:
    with report_open(name) as handle:
        while piece := handle.read(CHUNK):
            yield piece


def report_read(name: str) -> bytes:
    with report_open(name) as handle:
        return handle.read()


def report_discard(name: str) -> None:
    """Only for a file whose row was never saved (the run failed after storing it)."""
    _store().delete(check_blob_name(name))
