"""Where sealed blobs are kept: a small interface and two backends, a folder (the default) and
any Django storage backend (an S3-compatible bucket through django-storages).

The store only ever sees ciphertext and random names; encryption, checks and hashing happen
above it (`storage`). `EVIDENCE_STORE` names the class (dotted path); it is built with no
arguments and reads its own settings. Reports use the same classes (`checklists.reports.storage`):
a folder store on REPORT_ROOT, or a storage store on the "reports" backend.
"""

import os
import re
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import InvalidStorageError, Storage, storages
from django.utils.module_loading import import_string

T = TypeVar("T")

BLOB_NAME_RE = re.compile(r"[0-9a-f]{32}")
_TEMP_PREFIX = ".partial-"


def check_blob_name(name: str) -> str:
    """Refuse anything but a name the portal could have made (32 lowercase hex digits)."""
    if not isinstance(name, str) or not BLOB_NAME_RE.fullmatch(name):
        raise ValueError("not an evidence blob name")
    return name


class BlobStore(Protocol):
    # True when blobs leave the portal's own machines: whatever is kept there is ciphertext.
    off_site: bool

    def put(self, name: str, write: Callable[[BinaryIO], T]) -> T:
        """Store what write(handle) writes under name, replacing any blob of that name, only if
        write returns; on any exception nothing is kept and the old blob stays."""

    def open(self, name: str) -> BinaryIO:
        """The blob for reading; FileNotFoundError if there is none."""

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> None:
        """Remove the blob; one already gone is not an error."""

    def names(self) -> list[str]:
        """Every stored blob's name, sorted."""


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderStore:
    """Blobs as files in EVIDENCE_ROOT (mode 0700), written to a temp file, fsynced, renamed."""

    off_site = False

    def __init__(self, root: Path | str | None = None) -> None:
        self._root = Path(root if root is not None else settings.EVIDENCE_ROOT)

    @property
    def root(self) -> Path:
        root = self._root.resolve()
        for setting in ("STATIC_ROOT", "MEDIA_ROOT"):
            served = getattr(settings, setting, None)
            if served and root.is_relative_to(Path(served).resolve()):
                raise ImproperlyConfigured(f"EVIDENCE_ROOT must not be inside {setting}")
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return root

    def path(self, name: str) -> Path:
        return self.root / check_blob_name(name)

    def put(self, name: str, write: Callable[[BinaryIO], T]) -> T:
        target = self.path(name)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=_TEMP_PREFIX)
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
        _fsync_directory(target.parent)
        return result

    def open(self, name: str) -> BinaryIO:
        return self.path(name).open("rb")

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def delete(self, name: str) -> None:
        with suppress(FileNotFoundError):
            self.path(name).unlink()

    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if BLOB_NAME_RE.fullmatch(p.name))


EVIDENCE_ALIAS = "evidence"
REPORTS_ALIAS = "reports"


class StorageStore:
    """Blobs as objects of a Django storage backend, `STORAGES[alias]` ("evidence" by default):
    with django-storages' S3Storage, the key is its location (a prefix), "/", and the name.

    put() lets `write` fill a local temporary file (ciphertext, never visible by name), then
    uploads it in one call: an object store never sees half a blob, and a failed write uploads
    nothing, so the old object stays. The backend must replace an object in place (S3 does, with
    django-storages' default file_overwrite); one that stores the new bytes under another name
    is refused, and the stray copy removed.
    """

    off_site = True

    def __init__(self, alias: str = EVIDENCE_ALIAS) -> None:
        self.alias = alias

    @property
    def storage(self) -> Storage:
        try:
            return storages[self.alias]
        except InvalidStorageError as exc:
            raise ImproperlyConfigured(
                f"STORAGES has no {self.alias!r} backend for the blob store (set "
                "EVIDENCE_STORAGE=s3 and the AWS_* settings, or add it to STORAGES)"
            ) from exc

    def put(self, name: str, write: Callable[[BinaryIO], T]) -> T:
        check_blob_name(name)
        storage = self.storage
        with tempfile.TemporaryFile(prefix=_TEMP_PREFIX) as handle:
            result = write(handle)
            handle.flush()
            handle.seek(0)
            stored = storage.save(name, File(handle, name=name))
        if stored != name:
            storage.delete(stored)
            raise ImproperlyConfigured(
                f"the {self.alias!r} storage backend saved a blob under another name instead of "
                "replacing it: configure it to overwrite (S3Storage: file_overwrite=True; "
                "FileSystemStorage: allow_overwrite=True)"
            )
        return result

    def open(self, name: str) -> BinaryIO:
        return self.storage.open(check_blob_name(name), "rb")

    def exists(self, name: str) -> bool:
        return self.storage.exists(check_blob_name(name))

    def delete(self, name: str) -> None:
        self.storage.delete(check_blob_name(name))

    def names(self) -> list[str]:
        """Every blob under the backend's location; S3Storage pages through the listing."""
        _folders, files = self.storage.listdir("")
        return sorted(name for name in files if BLOB_NAME_RE.fullmatch(name))


def evidence_store() -> BlobStore:
    """The store EVIDENCE_STORE names (default: FolderStore on EVIDENCE_ROOT)."""
    dotted = getattr(settings, "EVIDENCE_STORE", "checklists.evidence.stores.FolderStore")
    try:
        store_class = import_string(dotted)
    except ImportError as exc:
        raise ImproperlyConfigured(f"EVIDENCE_STORE {dotted!r} cannot be imported") from exc
    return store_class()
