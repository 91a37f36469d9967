import csv
import io

import pytest
from django.urls import reverse

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from tests.audit.conftest import record_many

pytestmark = pytest.mark.django_db
URL = reverse("audit:event_export")


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_it_streams_the_filtered_events_as_csv(client, auditor, team, other_team, lead):
    audit.record("tests.mine.done", actor=lead, obj=team, team=team, changes={"a": [1, 2]})
    audit.record("tests.theirs.done", obj=other_team, team=other_team)
    client.force_login(auditor)
    response = client.post(URL, {"action": "tests.*", "team": team.slug})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert [(r["action"], r["team"], r["actor"], r["changes"]) for r in rows] == [
        ("tests.mine.done", "kopi-kita", "lead", '{"a": [1, 2]}')
    ]
    assert rows[0]["hash"] == AuditEvent.objects.get(action="tests.mine.done").hash


def test_it_records_the_export(client, auditor, team):
    client.force_login(auditor)
    rows_of(client.post(URL, {"action": "accounts.*", "team": team.slug}))
    event = AuditEvent.objects.filter(action="audit.log.exported").get()
    assert event.actor_id == auditor.pk
    assert event.changes == {"filters": {"action": "accounts.*", "team": "kopi-kita"}}


def test_it_exports_only_what_the_user_may_see(client, lead, team, other_team, outsider):
    audit.record("tests.theirs.done", actor=outsider, obj=other_team, team=other_team)
    audit.record("tests.login.done", actor_label="x")
    client.force_login(lead)
    rows = rows_of(client.post(URL, {}))
    assert rows
    assert {r["team"] for r in rows} == {"kopi-kita"}


def test_it_refuses_another_teams_filter(client, lead, other_team):
    client.force_login(lead)
    response = client.post(URL, {"team": other_team.slug})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="audit.log.exported").exists()


def test_it_defuses_spreadsheet_formulas(client, auditor):
    audit.record("tests.thing.done", reason='=HYPERLINK("http://evil")')
    client.force_login(auditor)
    rows = rows_of(client.post(URL, {"action": "tests.thing.done"}))
    assert rows[0]["reason"].startswith("'=")


def test_it_rejects_get(client, auditor):
    client.force_login(auditor)
    assert client.get(URL).status_code == 405


def test_it_is_a_404_for_a_member(client, member):
    client.force_login(member)
    assert client.post(URL).status_code == 404


@pytest.mark.parametrize("count", [5, 50])
def test_it_takes_a_constant_number_of_queries(
    client, auditor, count, django_assert_max_num_queries
):
    record_many(count)
    client.force_login(auditor)
    with django_assert_max_num_queries(16):
        rows = rows_of(client.post(URL, {"action": "tests.thing.done"}))
    assert len(rows) == count
