"""A lead's to-do counts what nobody owns in the teams they lead; a member's does not."""

from django.urls import reverse

from checklists.models import Attestation
from checklists.selectors.assessments import unowned_in_led_teams
from tests.checklists.assessment_helpers import make_checklist


def test_a_leads_todo_counts_the_unowned_controls_and_links_to_them(
    client, catalog, team, lead, member
):
    make_checklist(team, lead, period="2026-Q3", providers=("mixpay",))
    checklist = make_checklist(team, lead, providers=("gopay", "codepay"))
    total = checklist.attestations.count()
    carrier = checklist.attestations.filter(covers__isnull=False).first()
    covered = carrier.covers.count()
    Attestation.objects.filter(pk=carrier.pk).update(owner=member)
    Attestation.objects.filter(checklist=checklist, control__ref="GOPAY-1.1").update(owner=lead)
    unowned = total - 2 - covered
    client.force_login(lead)
    page = client.get(reverse("checklists:todo")).content.decode()
    assert "Controls nobody owns in the teams I lead" in page
    link = f"{checklist.get_absolute_url()}?owner=none#controls"
    assert f'<a href="{link}">Kopi Kita 2026-Q4: {unowned} controls without an owner</a>' in page
    # The same number as the checklist filtered to "no owner".
    filtered = client.get(checklist.get_absolute_url(), {"owner": "none"})
    assert filtered.context["page"].paginator.count == unowned


def test_a_members_todo_does_not_show_the_count(client, catalog, team, lead, member):
    make_checklist(team, lead, providers=("gopay",))
    client.force_login(member)
    page = client.get(reverse("checklists:todo")).content.decode()
    assert "Controls nobody owns" not in page
    assert unowned_in_led_teams(member) == []


def test_it_counts_only_the_teams_the_person_leads(catalog, team, other_team, lead, outsider):
    make_checklist(team, lead, providers=("gopay",))
    theirs = make_checklist(other_team, outsider, providers=("mixpay",))
    assert unowned_in_led_teams(outsider) == [
        {
            "team_name": other_team.name,
            "team_slug": other_team.slug,
            "period": theirs.period,
            "count": theirs.attestations.count(),
        }
    ]
