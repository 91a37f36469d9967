import pytest
from django.template import Context, Template
from django.test import RequestFactory

from portal.audit import services as audit
from portal.audit.selectors import object_history
from tests.audit.conftest import record_many

pytestmark = pytest.mark.django_db


def render_for(user, obj) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load audit_tags %}{% audit_history obj %}")
    return template.render(Context({"request": request, "obj": obj}))


def test_it_lists_the_objects_own_events_newest_first(team, lead):
    changed = audit.record("accounts.team.changed", actor=lead, obj=team, team=team)
    history = object_history(obj=team, user=lead)
    assert [e.action for e in history] == ["accounts.team.changed", "accounts.team.created"]
    assert history[0].sequence == changed.sequence


def test_it_shows_nothing_of_a_team_the_user_may_not_see(team, outsider, member):
    assert object_history(obj=team, user=outsider) == []
    assert object_history(obj=team, user=member) == []


def test_it_limits_the_history(team):
    record_many(5)
    for _ in range(5):
        audit.record("accounts.team.changed", obj=team, team=team)
    assert len(object_history(obj=team, user=_superuser(), limit=3)) == 3


def _superuser():
    from tests.conftest import make_user

    return make_user("root", is_superuser=True, is_staff=True)


def test_it_renders_as_a_template_tag(team, lead, outsider):
    audit.record("accounts.team.changed", actor=lead, obj=team, team=team)
    html = render_for(lead, team)
    assert "Team changed" in html and "accounts.team.changed" not in html
    assert "History" in html
    assert render_for(outsider, team).strip() == ""


@pytest.mark.parametrize("count", [5, 50])
def test_it_renders_in_a_constant_number_of_queries(
    team, lead, count, django_assert_max_num_queries
):
    for _ in range(count):
        audit.record("accounts.team.changed", actor=lead, obj=team, team=team)
    with django_assert_max_num_queries(5):
        render_for(lead, team)


def test_it_words_the_history_as_the_audit_pages_do(team, lead):
    audit.record(
        "accounts.team.changed",
        actor=lead,
        obj=team,
        team=team,
        changes={"providers": ["gopay", "mixpay"], "name": audit.change("Kopi", "Kopi Kita")},
    )
    html = render_for(lead, team)
    assert '<span class="field-name">Providers:</span> gopay, mixpay' in html
    assert '<span class="field-name">Name:</span> Kopi → Kopi Kita' in html
    assert "gopay → mixpay" not in html
