"""The OSCAL downloads: the catalog for everyone signed in, a team's results for those who may
see the team (another team's answer 404), every results download recorded."""

import hashlib

import pytest
from django.urls import reverse

from checklists.oscal.assessment_results import assessment_results_document
from checklists.oscal.catalog import catalog_document
from checklists.oscal.services import RESULTS_EXPORTED
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import answer, make_checklist
from tests.checklists.test_oscal_results import plain_answers, read_results

OSCAL_URLS = {"oscal_catalog", "oscal_assessment_results"}
ROLES = ("anonymous", "nobody", "outsider", "member", "lead", "reviewer", "auditor")
VIEWERS = {"member", "lead", "reviewer", "auditor"}


@pytest.fixture
def users(lead, member, outsider, reviewer, auditor, nobody):
    return {
        "nobody": nobody,
        "outsider": outsider,
        "member": member,
        "lead": lead,
        "reviewer": reviewer,
        "auditor": auditor,
    }


@pytest.fixture
def checklist(catalog, team, lead):
    checklist = make_checklist(team, lead)
    answer(plain_answers(checklist)[0], lead)
    return checklist


def results_url(checklist) -> str:
    return reverse(
        "checklists:oscal_assessment_results", args=[checklist.team.slug, checklist.period]
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_what_it_may_see(client, checklist, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    for url, allowed in (
        (reverse("checklists:oscal_catalog"), set(ROLES) - {"anonymous"}),
        (results_url(checklist), VIEWERS),
    ):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
        elif role in allowed:
            assert response.status_code == 200, (url, role)
            assert response["Content-Type"] == "application/json"
        else:
            assert response.status_code == 404, (url, role)
    # Nothing was handed out to anyone who may not see the team.
    exported = AuditEvent.objects.filter(action=RESULTS_EXPORTED)
    assert exported.count() == (1 if role in VIEWERS else 0)


def test_another_teams_results_are_404_and_not_recorded(client, checklist, outsider):
    client.force_login(outsider)
    assert client.get(results_url(checklist)).status_code == 404
    assert not AuditEvent.objects.filter(action=RESULTS_EXPORTED).exists()


def test_a_period_without_a_checklist_is_404(client, checklist, member):
    client.force_login(member)
    url = reverse("checklists:oscal_assessment_results", args=["kopi-kita", "2026-Q1"])
    assert client.get(url).status_code == 404


def test_the_download_is_the_export_and_is_recorded(client, checklist, member):
    client.force_login(member)
    response = client.get(results_url(checklist))
    assert response.content == assessment_results_document(checklist).data
    read_results(response.content)
    assert response["Content-Disposition"] == (
        'attachment; filename="kopi-kita-2026-Q4-oscal-assessment-results.json"'
    )
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action=RESULTS_EXPORTED)
    assert event.actor == member and event.team == checklist.team
    assert event.changes["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert event.changes["period"] == "2026-Q4"


def test_the_catalog_download_is_the_catalog_export(client, catalog, member):
    client.force_login(member)
    response = client.get(reverse("checklists:oscal_catalog"))
    assert response.status_code == 200
    assert response.content == catalog_document().data
    assert 'filename="oscal-catalog.json"' in response["Content-Disposition"]


@pytest.mark.parametrize("name", sorted(OSCAL_URLS))
def test_downloads_take_get_only(client, checklist, member, name):
    client.force_login(member)
    args = [] if name == "oscal_catalog" else [checklist.team.slug, checklist.period]
    assert client.post(reverse(f"checklists:{name}", args=args)).status_code == 405


def test_the_pages_offer_the_downloads(client, checklist, auditor):
    client.force_login(auditor)
    page = client.get(checklist.get_absolute_url()).content.decode()
    assert f'href="{results_url(checklist)}"' in page
    assert "OSCAL assessment results (JSON)" in page
    catalog_page = client.get(reverse("checklists:control_list")).content.decode()
    assert f'href="{reverse("checklists:oscal_catalog")}"' in catalog_page
    assert "OSCAL catalog (JSON)" in catalog_page
