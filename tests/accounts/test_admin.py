from django.contrib.auth.models import Group
from django.urls import reverse

from portal.accounts.models import Membership, Role, Team
from portal.accounts.permissions import REVIEWERS_GROUP, has_team_perm
from portal.audit.models import AuditEvent
from tests.conftest import make_user


def _inline(prefix="memberships", total=0, initial=0, rows=()):
    data = {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def test_an_admin_creates_a_team_with_a_lead(client, admin_user):
    person = make_user("person")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_team_add"),
        {
            "name": "Pulsa Kilat",
            "slug": "pulsa-kilat",
            **_inline(total=1, rows=[{"user": person.pk, "role": "lead"}]),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team = Team.objects.get(slug="pulsa-kilat")
    assert Membership.objects.get(team=team, user=person).role == Role.LEAD
    assert has_team_perm(type(person).objects.get(pk=person.pk), "manage_team", team)
    actions = set(AuditEvent.objects.filter(team=team).values_list("action", flat=True))
    assert actions == {"accounts.team.created", "accounts.membership.added"}


def test_an_admin_changes_a_role_in_the_admin(client, admin_user, team, member):
    client.force_login(admin_user)
    membership = Membership.objects.get(user=member)
    response = client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]), {"role": "lead"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == Role.LEAD
    assert AuditEvent.objects.filter(
        action="accounts.membership.role_changed", actor=admin_user
    ).exists()


def test_an_admin_grant_of_a_portal_role_is_recorded(client, admin_user, nobody):
    client.force_login(admin_user)
    reviewers = Group.objects.get(name=REVIEWERS_GROUP)
    response = client.post(
        reverse("admin:auth_user_change", args=[nobody.pk]),
        {
            "username": "nobody",
            "email": "nobody@example.com",
            "is_active": "on",
            "groups": [reviewers.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="accounts.user.access_changed")
    assert event.changes == {"groups": {"from": [], "to": [REVIEWERS_GROUP]}}
    assert event.actor == admin_user


def test_admin_is_for_staff_only(client, lead):
    client.force_login(lead)
    response = client.get(reverse("admin:accounts_team_changelist"))
    assert response.status_code == 302


def test_a_group_permission_change_is_recorded(client, admin_user):
    from django.contrib.auth.models import Permission

    client.force_login(admin_user)
    auditors = Group.objects.get(name="Auditors")
    review = Permission.objects.get(codename="review_team")
    current = list(auditors.permissions.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:auth_group_change", args=[auditors.pk]),
        {"name": "Auditors", "permissions": [*current, review.pk]},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.group.changed")
    assert event.changes == {"permissions": {"from": [], "to": ["review_team"]}}


def test_a_password_change_and_a_deletion_are_recorded(client, admin_user, nobody):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[nobody.pk]),
        {"password1": "a new long passphrase 42", "password2": "a new long passphrase 42"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="accounts.user.password_changed", object_id=str(nobody.pk)
    ).exists()
    client.post(reverse("admin:auth_user_delete", args=[nobody.pk]), {"post": "yes"})
    deleted = AuditEvent.objects.get(action="accounts.user.deleted")
    assert deleted.object_label == "nobody" and deleted.actor == admin_user


def test_unlocking_in_the_admin_is_recorded(client, admin_user, member):
    from axes.models import AccessAttempt

    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": "member", "password": "wrong"},
            REMOTE_ADDR="203.0.113.5",
        )
    attempt = AccessAttempt.objects.get(username="member")
    client.force_login(admin_user)
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert not AccessAttempt.objects.exists()
    event = AuditEvent.objects.get(action="accounts.login.unlocked")
    assert event.changes == {"username": "member", "ip_address": "203.0.113.5"}


def test_unlocking_a_name_that_is_no_account_keeps_no_typed_value(client, admin_user):
    from axes.models import AccessAttempt

    for _ in range(5):  # someone typed their password into the username field
        client.post(
            "/accounts/login/",
            {"username": "Tr0ub4dor&3-horse", "password": "wrong"},
            REMOTE_ADDR="203.0.113.6",
        )
    attempt = AccessAttempt.objects.get(ip_address="203.0.113.6")
    client.force_login(admin_user)
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    event = AuditEvent.objects.get(action="accounts.login.unlocked")
    assert event.changes == {"username": "", "ip_address": "203.0.113.6"}
    assert "Tr0ub4dor" not in str(AuditEvent.objects.values_list("changes", "reason"))


def test_a_refused_membership_change_is_an_error_not_a_success(client, admin_user, team, lead):
    from django.contrib.admin.models import LogEntry

    client.force_login(admin_user)
    membership = Membership.objects.get(user=lead)
    response = client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        {"role": "member"},
        follow=True,
    )
    page = response.content.decode()
    assert "only lead; name another lead first." in page
    assert "successfully" not in page
    assert Membership.objects.get(pk=membership.pk).role == Role.LEAD
    assert not LogEntry.objects.exists()


def test_a_refused_inline_row_is_an_error_not_a_success(client, admin_user, team, lead):
    client.force_login(admin_user)
    membership = Membership.objects.get(user=lead)
    response = client.post(
        reverse("admin:accounts_team_change", args=[team.pk]),
        {
            "name": "Kopi Kita Baru",
            "slug": team.slug,
            **_inline(
                total=1,
                initial=1,
                rows=[{"id": membership.pk, "team": team.pk, "user": lead.pk, "role": "member"}],
            ),
        },
        follow=True,
    )
    page = response.content.decode()
    assert "only lead; name another lead first." in page
    assert "successfully" not in page
    assert Membership.objects.get(pk=membership.pk).role == Role.LEAD
    # The team's own change went through and is recorded.
    assert Team.objects.get(pk=team.pk).name == "Kopi Kita Baru"
