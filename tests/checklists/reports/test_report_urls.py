"""Every report URL for every role: who gets the page, who is sent to sign in, who gets 404."""

import pytest
from django.urls import reverse

from checklists import urls as checklist_urls
from checklists.models import ExportStatus
from checklists.reports import services
from tests.checklists.assessment_helpers import make_checklist

# The report URLs in checklists/urls.py (the checklist walk covers the others).
REPORT_URLS = {
    "report_list",
    "report_request",
    "report_status",
    "report_download",
    "report_retry",
    "report_verify",
    "organisation_report_list",
    "organisation_report_request",
    "organisation_report_status",
    "organisation_report_download",
    "organisation_report_retry",
}
ROLES = ("anonymous", "nobody", "outsider", "member", "lead", "reviewer", "auditor")
EXPORTERS = {"lead", "reviewer", "auditor"}
ORGANISATION = {"reviewer", "auditor"}


@pytest.fixture
def world(catalog, team, lead, member, outsider, reviewer, auditor, nobody, open_quarter):
    checklist = make_checklist(team, lead, period=str(open_quarter), providers=("mixpay",))
    export, _ = services.report_request(team=team, period=checklist.period, by=lead)
    services.report_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    whole, _ = services.report_request(team=None, period=checklist.period, by=reviewer)
    services.report_run(export_id=whole.pk)
    whole.refresh_from_db()
    assert whole.status == ExportStatus.DONE, whole.error
    users = {
        "nobody": nobody,
        "outsider": outsider,
        "member": member,
        "lead": lead,
        "reviewer": reviewer,
        "auditor": auditor,
    }
    return {
        "users": users,
        "team": team,
        "export": export,
        "organisation_export": whole,
        "period": checklist.period,
    }


def _cases(world):
    team, pk = world["team"].slug, world["export"].pk
    whole = world["organisation_export"].pk
    return {
        "report_list": ("get", [team], {}, EXPORTERS),
        "report_request": ("post", [team], {"period": world["period"]}, EXPORTERS),
        "report_status": ("get", [team, pk], {}, EXPORTERS),
        "report_download": ("get", [team, pk], {}, EXPORTERS),
        "report_retry": ("post", [team, pk], {}, EXPORTERS),
        "report_verify": ("get", [], {}, set(ROLES) - {"anonymous"}),
        "organisation_report_list": ("get", [], {}, ORGANISATION),
        "organisation_report_request": ("post", [], {"period": world["period"]}, ORGANISATION),
        "organisation_report_status": ("get", [whole], {}, ORGANISATION),
        "organisation_report_download": ("get", [whole], {}, ORGANISATION),
        "organisation_report_retry": ("post", [whole], {}, ORGANISATION),
    }


def test_the_walk_covers_every_report_url(world):
    names = {
        p.name
        for p in checklist_urls.urlpatterns
        if p.name.startswith(("report_", "organisation_report_"))
    }
    assert names == REPORT_URLS == set(_cases(world))


@pytest.mark.parametrize("role", ROLES)
def test_every_report_url_for_every_role(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    for name, (method, args, data, allowed) in _cases(world).items():
        response = getattr(client, method)(reverse(f"checklists:{name}", args=args), data)
        if role == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith("/accounts/login/"), name
        elif role in allowed:
            assert response.status_code in (200, 302), (name, response.status_code)
            if response.status_code == 302:
                assert not response["Location"].startswith("/accounts/login/"), name
        else:
            assert response.status_code == 404, (name, role, response.status_code)


@pytest.mark.parametrize(
    "name",
    ["report_request", "report_retry", "organisation_report_request", "organisation_report_retry"],
)
def test_write_views_reject_get(client, world, name):
    client.force_login(world["users"]["reviewer"])
    _, args, _, _ = _cases(world)[name]
    assert client.get(reverse(f"checklists:{name}", args=args)).status_code == 405
