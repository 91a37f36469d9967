"""Every checklist URL for every role: who gets the page, who is sent to sign in, who gets 404."""

import pytest
from django.urls import reverse

from checklists import urls as checklist_urls
from tests.checklists.access_reviews.test_campaign_pages import ACCESS_REVIEW_CAMPAIGN_URLS
from tests.checklists.access_reviews.test_detail_pages import ACCESS_DECISION_URLS
from tests.checklists.assessment_helpers import (
    answer,
    attestation_of,
    make_checklist,
    submit,
    upload,
)
from tests.checklists.credentials.test_pages import CREDENTIAL_URLS
from tests.checklists.evidence.test_previews import PREVIEW_URLS
from tests.checklists.obligations.test_pages import OBLIGATION_URLS
from tests.checklists.reports.test_access_review_pdf import ACCESS_REVIEW_EXPORT_URLS
from tests.checklists.reports.test_report_urls import REPORT_URLS
from tests.checklists.schedule.test_schedule_urls import SCHEDULE_URLS
from tests.checklists.test_oscal_pages import OSCAL_URLS
from tests.checklists.test_posture_dashboard import DASHBOARD_URLS
from tests.conftest import make_user

CATALOG_URLS = {"control_list", "control_detail", "provider_detail", "owasp_detail"}
ROLES = ("anonymous", "nobody", "outsider", "member", "lead", "reviewer", "auditor")
VIEWERS = {"member", "lead", "reviewer", "auditor"}
ATTESTERS = {"member", "lead"}
REVIEWERS = {"reviewer"}


@pytest.fixture
def world(catalog, team, other_team, lead, member, outsider, reviewer, auditor, nobody):
    checklist = make_checklist(team, lead)
    item = attestation_of(checklist, "GOPAY-1.2")
    author = make_user("author")
    from portal.accounts import services as accounts

    accounts.membership_add(team=team, user=author, role="member")
    answer(item, author)
    evidence = upload(item, author)
    submit(item, author)
    item.refresh_from_db()
    link = item.evidence_links.get()
    return {
        "users": {
            "nobody": nobody,
            "outsider": outsider,
            "member": member,
            "lead": lead,
            "reviewer": reviewer,
            "auditor": auditor,
        },
        "team": team,
        "checklist": checklist,
        "item": item,
        "evidence": evidence,
        "link": link,
    }


def _cases(world):
    team, period, ref = world["team"].slug, world["checklist"].period, world["item"].control.ref
    answer_args = [team, period, ref]
    version = {"expected_version": world["item"].version}
    return {
        "checklist_list": ("get", [team], {}, VIEWERS),
        "team_home": ("get", [team], {}, VIEWERS),
        "checklist_new": (
            "post",
            [team],
            {"period": "2026-Q3", "providers": [], "asvs_level": 1},
            ATTESTERS,
        ),
        "checklist_detail": ("get", [team, period], {}, VIEWERS),
        # Only a lead assigns; other viewers are refused on the page (400), outsiders get 404.
        "checklist_assign_owner": (
            "post",
            [team, period],
            {"scope": "matching", "owner": "member"},
            VIEWERS,
        ),
        "attestation_detail": ("get", answer_args, {}, VIEWERS),
        "attestation_save": (
            "post",
            answer_args,
            {"status": "implemented", "statement": "x", **version},
            ATTESTERS,
        ),
        "attestation_submit": (
            "post",
            answer_args,
            {"status": "implemented", "statement": "x", **version},
            ATTESTERS,
        ),
        "attestation_answer_separately": ("post", answer_args, version, ATTESTERS),
        "evidence_upload": ("post", answer_args, {"description": "x", **version}, ATTESTERS),
        "evidence_link": (
            "post",
            answer_args,
            {"url": "https://example.com/x", "description": "x", **version},
            ATTESTERS,
        ),
        "evidence_withdraw": ("post", [*answer_args, world["link"].pk], version, ATTESTERS),
        "review_approve": ("post", answer_args, version, REVIEWERS),
        "review_request_changes": ("post", answer_args, {"comment": "More.", **version}, REVIEWERS),
        "evidence_download": ("get", [team, world["evidence"].pk], {}, VIEWERS),
        "todo": ("get", [], {}, set(ROLES) - {"anonymous"}),
        "review_queue": ("get", [], {}, REVIEWERS),
        "review_bulk_approve": (
            "post",
            [],
            {"item": f"{world['item'].pk}:{world['item'].version}"},
            REVIEWERS,
        ),
    }


def test_the_walk_covers_every_checklist_url(world):
    # Each later area walks its own URLs for every role.
    areas = (
        CATALOG_URLS
        | REPORT_URLS
        | OBLIGATION_URLS
        | SCHEDULE_URLS
        | CREDENTIAL_URLS
        | ACCESS_REVIEW_CAMPAIGN_URLS
        | ACCESS_DECISION_URLS
        | ACCESS_REVIEW_EXPORT_URLS
        | PREVIEW_URLS
        | DASHBOARD_URLS
        | OSCAL_URLS
    )
    names = {pattern.name for pattern in checklist_urls.urlpatterns} - areas
    assert names == set(_cases(world))


@pytest.mark.parametrize("role", ROLES)
def test_every_url_for_every_role(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    for name, (method, args, data, allowed) in _cases(world).items():
        url = reverse(f"checklists:{name}", args=args)
        response = getattr(client, method)(url, data)
        if role == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(
                "/accounts/login/"
            ), name
        elif role in allowed:
            # 400: the action was refused on its merits, with the form shown again
            assert response.status_code in (200, 302, 400), (name, response.status_code)
            if response.status_code == 302:
                assert not response["Location"].startswith("/accounts/login/"), name
        else:
            assert response.status_code == 404, (name, role, response.status_code)


@pytest.mark.parametrize(
    "name",
    [
        "attestation_save",
        "attestation_submit",
        "attestation_answer_separately",
        "evidence_upload",
        "evidence_link",
        "evidence_withdraw",
        "review_approve",
        "review_request_changes",
        "review_bulk_approve",
        "checklist_new",
        "checklist_assign_owner",
    ],
)
def test_write_views_reject_get(client, world, name):
    client.force_login(
        world["users"]["lead"]
        if name not in {"review_approve", "review_request_changes", "review_bulk_approve"}
        else world["users"]["reviewer"]
    )
    method, args, _, _ = _cases(world)[name]
    assert client.get(reverse(f"checklists:{name}", args=args)).status_code == 405
