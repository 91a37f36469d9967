"""Campaigns: creating one (and the duty that keeps it), the comparison with the last
completed campaign of the same system, and starting the review, which freezes the roster."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from checklists.models import Obligation, ObligationKind
from checklists.models.access_reviews import AccessReview, CampaignState
from checklists.services import access_reviews as services
from checklists.services import obligations
from portal.audit.models import AuditEvent
from tests.checklists.access_reviews.rosters import (
    GITHUB,
    PERIOD,
    SYSTEM,
    complete,
    csv_bytes,
    imported,
    make_review,
    on,
    row,
)


def _errors(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- Creating ---------------------------------------------------------------------------------


def test_a_campaign_is_a_draft_kept_by_a_new_access_review_duty(team, lead):
    with on(date(2026, 11, 3)):
        review = make_review(team, lead, system="  WeChat   admin console ")
    assert (review.system, review.period, review.state) == (
        "WeChat admin console",
        PERIOD,
        CampaignState.DRAFT,
    )
    assert review.created_by == lead and review.previous is None
    duty = review.obligation
    assert (duty.team, duty.kind, duty.title) == (
        team,
        ObligationKind.ACCESS_REVIEW,
        "Review access to WeChat admin console",
    )
    assert (duty.cadence, duty.interval_days) == ("days", 90)
    # First due at the end of the quarter reviewed.
    assert duty.occurrences.get().due_on == date(2026, 12, 31)
    event = AuditEvent.objects.get(action="checklists.access_review.created")
    assert event.changes["system"] == "WeChat admin console"
    assert event.changes["obligation"] == "Review access to WeChat admin console"


def test_a_campaign_for_a_past_quarter_starts_its_duty_today(team, lead):
    with on(date(2026, 11, 3)):
        review = make_review(team, lead, period="2026-Q2")
    assert review.obligation.starts_on == date(2026, 11, 3)


def test_the_team_duty_for_the_system_is_reused(team, lead):
    with on():
        first = make_review(team, lead, period="2026-Q3")
        second = make_review(team, lead, period="2026-Q4")
    assert first.obligation == second.obligation
    assert Obligation.objects.filter(kind=ObligationKind.ACCESS_REVIEW).count() == 1


@pytest.mark.parametrize(
    ("system", "period", "field", "message"),
    [
        ("", PERIOD, "system", "Name the system whose accounts are reviewed"),
        ("x" * 121, PERIOD, "system", "At most 120 characters (this has 121)."),
        (f"Cloud {GITHUB}", PERIOD, "system", "looks like it holds a GitHub token"),
        (SYSTEM, "2026-Q5", "period", "'2026-Q5' is not a quarter such as 2026-Q4"),
        (SYSTEM, "", "period", "'' is not a quarter such as 2026-Q4"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(team, lead, system, period, field, message):
    errors = _errors(
        lambda: services.access_review_create(team=team, system=system, period=period, by=lead)
    )
    assert message in errors[field][0]
    assert not AccessReview.objects.exists()
    assert not Obligation.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="checklists.").exists()


def test_one_campaign_per_system_and_quarter(team, other_team, lead):
    with on():
        make_review(team, lead)
        errors = _errors(lambda: make_review(team, lead, system="codepay Merchant PLATFORM"))
        assert errors == {
            "period": ["Kopi Kita has a campaign for CodePay merchant platform in 2026-Q4 already."]
        }
        # Another team, another quarter: fine.
        make_review(other_team, lead)
        make_review(team, lead, period="2026-Q3")
    assert AccessReview.objects.count() == 3


def test_previous_is_the_last_completed_campaign_of_the_system(team, lead):
    with on():
        q1 = complete(make_review(team, lead, period="2026-Q1"), lead)
        q2 = complete(make_review(team, lead, period="2026-Q2"), lead)
        make_review(team, lead, period="2026-Q3")  # not completed
        complete(make_review(team, lead, system="GoPay portal", period="2026-Q3"), lead)
        complete(make_review(team, lead, period="2027-Q1"), lead)  # later
        q4 = make_review(team, lead)
    assert q4.previous == q2
    assert q4.obligation == q2.obligation == q1.obligation


def test_a_retired_duty_is_not_reused(team, lead):
    with on():
        before = complete(make_review(team, lead, period="2026-Q3"), lead)
        obligations.obligation_retire(obligation=before.obligation, by=lead, reason="Replaced")
        review = make_review(team, lead)
    assert review.previous == before
    assert review.obligation != before.obligation
    assert review.obligation.retired_at is None
    assert review.obligation.title == "Review access to CodePay merchant platform"


# --- Comparison with the last completed campaign ----------------------------------------------


def test_the_roster_is_compared_with_the_last_completed_campaign(team, lead, member):
    with on():
        before = imported(
            team,
            lead,
            row("siti.rahma", role="Finance viewer"),
            row("budi.s", role="Refund operator", privileged="yes", mfa="no"),
            row("left.person", role="Administrator", email="gone@example.com"),
            period="2026-Q3",
        )
        complete(before, lead)
        review = imported(
            team,
            lead,
            row("siti.rahma", role="Finance viewer"),
            row("budi.s", role="Administrator", privileged="yes", mfa="no"),
            row("new.person", role="Support agent"),
        )
    review.refresh_from_db()
    assert review.previous == before
    entries = {entry.account: entry for entry in review.entries.all()}
    assert entries["siti.rahma"].change == "unchanged"
    assert entries["new.person"].change == "new"
    budi = entries["budi.s"]
    assert (budi.change, budi.role, budi.previous_role) == (
        "role-changed",
        "Administrator",
        "Refund operator",
    )
    assert budi.privileged_without_mfa
    gone = entries["left.person"]
    assert (gone.change, gone.line, gone.role, gone.email) == (
        "removed",
        None,
        "Administrator",
        "gone@example.com",
    )
    assert not gone.flagged


def test_removed_entries_of_the_previous_campaign_do_not_come_back(team, lead):
    with on():
        q2 = complete(imported(team, lead, row("a"), row("b"), period="2026-Q2"), lead)
        q3 = complete(imported(team, lead, row("a"), period="2026-Q3"), lead)
        q4 = imported(team, lead, row("a"))
    assert q3.entries.get(account="b").change == "removed"
    assert q2 != q4.previous
    assert list(q4.entries.values_list("account", "change")) == [("a", "unchanged")]


def test_a_campaign_completed_after_the_draft_was_created_is_compared_with(team, lead):
    with on():
        earlier = imported(team, lead, row("a"), period="2026-Q3")
        review = make_review(team, lead)
        complete(earlier, lead)
        services.roster_import(review=review, data=csv_bytes(row("a")), name="r.csv", by=lead)
    review.refresh_from_db()
    assert review.previous == earlier
    assert review.entries.get().change == "unchanged"


# --- Starting the review -----------------------------------------------------------------------


def test_starting_freezes_the_roster(team, lead):
    with on():
        review = imported(team, lead, row("a"))
        started = services.access_review_start(review=review, by=lead)
    assert started.state == CampaignState.IN_REVIEW
    assert started.started_by == lead and started.started_at is not None
    event = AuditEvent.objects.get(action="checklists.access_review.started")
    assert event.changes["entries"] == 1

    with on(date(2026, 12, 20)), pytest.raises(ValidationError) as caught:
        services.roster_import(review=review, data=csv_bytes(row("b")), name="r.csv", by=lead)
    assert caught.value.messages == [
        "The roster is frozen since the review started on 15 December 2026; it can no "
        "longer be imported again."
    ]
    assert list(review.entries.values_list("account", flat=True)) == ["a"]


def test_a_review_without_accounts_cannot_start(team, lead):
    with on():
        review = make_review(team, lead)
        with pytest.raises(ValidationError) as caught:
            services.access_review_start(review=review, by=lead)
    assert caught.value.messages == [
        "Import the roster before starting the review: there is no account to review."
    ]
    review.refresh_from_db()
    assert review.state == CampaignState.DRAFT and review.started_at is None
    assert not AuditEvent.objects.filter(action="checklists.access_review.started").exists()


def test_a_review_starts_once(team, lead):
    with on():
        review = imported(team, lead, row("a"))
        services.access_review_start(review=review, by=lead)
        with pytest.raises(ValidationError) as caught:
            services.access_review_start(review=review, by=lead)
    assert caught.value.messages == ["The review has started already."]
