"""SQLite, with the database file created readable by its owner only.

SQLite creates a missing file with the process umask (usually world-readable) and gives its
-wal and -shm files the database file's mode; so the file is made here first, mode 0600, in
a folder made 0700, on the first connection rather than when settings are imported.
"""

import contextlib
import os
from pathlib import Path

from django.db.backends.sqlite3 import base

from portal.env import private_dir


def _create_private(name: str) -> None:
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if path.exists():
        return
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):  # another process may create it first
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        _create_private(str(conn_params["database"]))
        return super().get_new_connection(conn_params)
