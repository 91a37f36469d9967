from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.audit import services as audit
from portal.audit.models import AuditChainHead, AuditEvent
from portal.audit.verification import verify_chain


def test_it_appends_many_events_in_order_under_one_lock(db, team, member):
    before = audit.record("tests.before", changes={"n": 0})
    entries = [
        audit.Entry("tests.bulk", actor=member, team=team, changes={"n": audit.change(i, i + 1)})
        for i in range(50)
    ]
    with CaptureQueriesContext(connection) as queries:
        events = audit.record_many(entries)
    assert len(queries.captured_queries) <= 5  # lock, insert, head update (and savepoints)
    first = before.sequence + 1
    assert [event.sequence for event in events] == list(range(first, first + 50))
    stored = list(AuditEvent.objects.filter(action="tests.bulk").order_by("sequence"))
    assert [event.changes["n"]["to"] for event in stored] == list(range(1, 51))
    assert all(event.actor_id == member.pk and event.team_id == team.pk for event in stored)
    head = AuditChainHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (first + 49, stored[-1].hash)
    result = verify_chain()
    assert result.ok and result.count == first + 49


def test_nothing_to_record_writes_nothing(db):
    assert audit.record_many([]) == []
    assert not AuditEvent.objects.exists()
