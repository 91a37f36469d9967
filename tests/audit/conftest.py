import os
from contextlib import contextmanager

import pytest
from django.db import connection

from portal.audit import services as audit

AUDIT_TABLES = ("audit_auditevent", "audit_auditchainhead", "audit_auditcheckpoint")


@pytest.fixture(autouse=True)
def _data_dir_in_tmp(settings, tmp_path):
    """Each test keeps local keys under its own DATA_DIR."""
    settings.DATA_DIR = tmp_path


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def require_postgresql(what: str) -> None:
    """Skip on other databases, except under CI=true, where PostgreSQL is always there."""
    if is_postgresql():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"needs PostgreSQL ({what}), and CI always runs it")
    pytest.skip(f"needs PostgreSQL ({what})")


@contextmanager
def tampering():
    """A raw cursor on the audit tables, with the append-only triggers off (PostgreSQL), as an
    attacker with the table owner's rights would have it. The test transaction undoes it."""
    with connection.cursor() as cursor:
        if is_postgresql():
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield cursor
        if is_postgresql():
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def record_many(count: int, *, team=None, actor=None, action: str = "tests.thing.done"):
    return [
        audit.record(action, actor=actor, team=team, changes={"n": audit.change(None, i)})
        for i in range(count)
    ]
