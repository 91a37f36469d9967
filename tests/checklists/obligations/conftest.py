import pytest

from portal.accounts import services as accounts
from portal.accounts.models import Role
from tests.conftest import make_user


@pytest.fixture
def second_member(team):
    user = make_user("second")
    accounts.membership_add(team=team, user=user, role=Role.MEMBER)
    return user
