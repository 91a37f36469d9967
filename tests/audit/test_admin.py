import pytest
from django.urls import reverse

from portal.audit import services
from portal.audit.models import AuditEvent
from tests.audit.conftest import record_many

pytestmark = pytest.mark.django_db


def test_it_lists_and_shows_events_read_only(client, admin_user):
    event = record_many(1)[0]
    client.force_login(admin_user)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    response = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content


def test_it_offers_no_add_change_or_delete(client, admin_user):
    event = record_many(1)[0]
    client.force_login(admin_user)
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    response = client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "x.y"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "tests.thing.done"
    changelist = client.get(reverse("admin:audit_auditevent_changelist"))
    assert b"delete_selected" not in changelist.content


def test_it_shows_checkpoints_read_only(client, admin_user):
    checkpoint = services.checkpoint_create()
    client.force_login(admin_user)
    assert client.get(reverse("admin:audit_auditcheckpoint_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditcheckpoint_add")).status_code == 403
    url = reverse("admin:audit_auditcheckpoint_delete", args=[checkpoint.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
