"""Changing one's password: offered in the account area, in the portal's pages, recorded."""

import json
from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.management.commands.changepassword import Command
from tests.conftest import PASSWORD

NEW_PASSWORD = "tangerine orbit lantern 42"


def test_the_account_area_links_the_password_change(client, member):
    client.force_login(member)
    page = client.get(reverse("accounts:team_list")).content.decode()
    account = page[page.index('<div class="account">') :]
    assert f'<a href="{reverse("password_change")}">Change password</a>' in account


def test_the_form_is_a_portal_page(client, member):
    client.force_login(member)
    response = client.get(reverse("password_change"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Change your password</h1>" in page
    assert '<a class="brand" href="/">Compliance portal</a>' in page
    assert "Django administration" not in page and reverse("admin:index") not in page


def test_a_wrong_old_password_is_shown_next_to_the_field(client, member):
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": "typo"},
    )
    page = response.content.decode()
    assert '<p class="error" id="id_old_password_error">' in page
    assert '<p class="error" id="id_new_password2_error">' in page
    assert not AuditEvent.objects.filter(action="accounts.user.password_changed").exists()


def test_the_change_is_recorded_without_the_password_and_leads_back_to_the_portal(client, member):
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("password_change_done"), 302)]
    page = response.content.decode()
    assert "<h1>Your password is changed</h1>" in page
    assert f'<a href="{reverse("home")}">Back to the portal</a>' in page
    assert "Django administration" not in page and reverse("admin:index") not in page
    event = AuditEvent.objects.get(action="accounts.user.password_changed")
    assert (event.actor, event.object_id) == (member, str(member.pk))
    stored = json.dumps([event.changes, event.reason, event.actor_label])
    assert NEW_PASSWORD not in stored and PASSWORD not in stored
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_the_admin_s_password_link_leads_to_the_portal_s_audited_page(admin_client):
    response = admin_client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change")


def test_the_changepassword_command_is_recorded_without_the_password(db, member, monkeypatch):
    # What the operator types at the two prompts.
    monkeypatch.setattr(Command, "_get_pass", lambda self, prompt="Password: ": NEW_PASSWORD)
    call_command("changepassword", member.username, stdout=StringIO())

    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="accounts.user.password_changed")
    assert event.object_id == str(member.pk) and event.actor_id is None
    assert "manage.py changepassword" in event.reason
    assert NEW_PASSWORD not in json.dumps(event.changes) + event.reason
