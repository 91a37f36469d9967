"""Where sealed blobs are kept: a small interface, and a shared folder as its first backend.

The store only ever sees ciphertext and random names; encryption, checks and hashing happen
above it (`storage`). `EVIDENCE_STORE` names the class (dotted path); it is built with no
arguments and reads its own settings.
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


def evidence_store() -> BlobStore:
    """The store EVIDENCE_STORE names (default: FolderStore on EVIDENCE_ROOT)."""
    dotted = getattr(settings, "EVIDENCE_STORE", "checklists.evidence.stores.FolderStore")
    try:
        store_class = import_string(dotted)
    except ImportError as exc:
        raise ImproperlyConfigured(f"EVIDENCE_STORE {dotted!r} cannot be imported") from exc
    return store_class()
