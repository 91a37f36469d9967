import threading

import pytest
from django.db import connection, transaction

from portal.audit import services as audit
from portal.audit.models import AuditChainHead, AuditEvent
from portal.audit.verification import verify_chain
from tests.audit.conftest import require_postgresql

THREADS = 8
EACH = 25


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_chain_linear_under_concurrent_writers():
    require_postgresql("Concurrent appends")
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with transaction.atomic():
                    audit.record("tests.concurrent.write", changes={"writer": number, "i": i})
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    total = THREADS * EACH
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, total + 1))
    assert AuditChainHead.objects.get().last_sequence == total
    result = verify_chain(chunk_size=50)
    assert result.ok, result.problem
    assert result.count == total
    writers = set(AuditEvent.objects.values_list("changes__writer", flat=True))
    assert writers == set(range(THREADS))
