import pytest
from django.contrib.auth import get_user_model

from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.accounts.permissions import AUDITORS_GROUP, REVIEWERS_GROUP
from portal.celery import app as celery_app

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process unless a test asks for the real worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = True


def make_user(username: str, **fields):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, **fields
    )
    return user


@pytest.fixture
def team(db):
    return accounts.team_create(name="Kopi Kita", slug="kopi-kita")


@pytest.fixture
def other_team(db):
    return accounts.team_create(name="Ojek Cepat", slug="ojek-cepat")


@pytest.fixture
def lead(team):
    user = make_user("lead")
    accounts.membership_add(team=team, user=user, role=Role.LEAD)
    return user


@pytest.fixture
def member(team):
    user = make_user("member")
    accounts.membership_add(team=team, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def outsider(other_team):
    """A lead of another team: may do everything there and nothing here."""
    user = make_user("outsider")
    accounts.membership_add(team=other_team, user=user, role=Role.LEAD)
    return user


@pytest.fixture
def reviewer(db):
    user = make_user("reviewer")
    accounts.global_role_grant(user=user, group_name=REVIEWERS_GROUP)
    return user


@pytest.fixture
def auditor(db):
    user = make_user("auditor")
    accounts.global_role_grant(user=user, group_name=AUDITORS_GROUP)
    return user


@pytest.fixture
def admin_user(db):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def nobody(db):
    """Signed in, but in no team and no portal role."""
    return make_user("nobody")
