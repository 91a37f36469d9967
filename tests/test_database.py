"""The database settings hold under many people at once."""

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction

from portal.audit import services as audit
from portal.audit.verification import verify_chain

WRITERS, EACH = 6, 15


@pytest.mark.django_db(transaction=True)
def test_the_embedded_database_takes_concurrent_writers_without_locking_errors():
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default is SQLite")
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with transaction.atomic():  # reads the chain head, then writes
                    audit.record("tests.concurrent.write", changes={"writer": number, "i": i})
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []  # "database is locked" showed here before WAL and IMMEDIATE
    result = verify_chain()
    assert result.ok and result.count == WRITERS * EACH


def test_postgresql_connections_persist_and_are_checked():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("PostgreSQL only")
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 600
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
