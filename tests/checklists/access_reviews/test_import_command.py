"""`manage.py access_review_import`: creates the draft if missing, imports, prints the counts;
refuses bad input naming every bad line, and then writes nothing, not even the campaign."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from checklists.models import Obligation
from checklists.models.access_reviews import AccessEntry, AccessReview
from checklists.services import access_reviews as services
from portal.audit.models import AuditEvent
from tests.checklists.access_reviews.rosters import (
    GITHUB,
    GOOD_ROWS,
    SYSTEM,
    complete,
    csv_bytes,
    imported,
    make_review,
    on,
    row,
)


def _run(path, *, team="kopi-kita", system=SYSTEM, period="2026-Q4", by=None) -> str:
    out = StringIO()
    options = ["--by", by] if by else []
    with on():
        call_command(
            "access_review_import",
            "--team",
            team,
            "--system",
            system,
            "--period",
            period,
            *options,
            str(path),
            stdout=out,
        )
    return out.getvalue()


def _file(tmp_path, data: bytes):
    path = tmp_path / "codepay.csv"
    path.write_bytes(data)
    return path


def test_it_creates_the_campaign_and_prints_the_counts(tmp_path, team, lead, member):
    with on():
        complete(
            imported(team, lead, row("siti.rahma"), row("left.person"), period="2026-Q3"), lead
        )
    rows = [row("siti.rahma"), row("new.person", role="Support agent"), *GOOD_ROWS[1:]]
    output = _run(_file(tmp_path, csv_bytes(*rows)))
    assert output == (
        "Imported 5 accounts into CodePay merchant platform 2026-Q4 for Kopi Kita: 4 new, "
        "1 unchanged, 0 role changed, 1 removed; flags: 1 shared, 1 dormant, 1 privileged "
        "without MFA, 2 not members.\n"
    )
    review = AccessReview.objects.get(period="2026-Q4")
    assert review.created_by is None and review.imported_by is None
    assert review.roster_name == "codepay.csv"
    assert review.entries.count() == 6
    event = AuditEvent.objects.get(action="checklists.access_review.created", object_id=review.pk)
    assert event.actor is None and event.actor_label


def test_it_imports_into_an_existing_draft(tmp_path, team, lead):
    with on():
        review = make_review(team, lead)
    _run(_file(tmp_path, csv_bytes(row("a"))), system="codepay merchant platform")
    assert AccessReview.objects.count() == 1
    assert list(review.entries.values_list("account", flat=True)) == ["a"]


def test_the_first_campaign_of_a_system_starts_its_duty_from_the_command_line(
    tmp_path, team, lead, member
):
    path = _file(tmp_path, csv_bytes(row("a")))
    _run(path)
    review = AccessReview.objects.get()
    assert review.created_by is None and review.imported_by is None
    assert review.obligation.created_by is None
    assert review.obligation.title == "Review access to CodePay merchant platform"


def test_by_names_a_lead_of_the_team(tmp_path, team, lead, member):
    path = _file(tmp_path, csv_bytes(row("a")))
    with pytest.raises(CommandError, match="'member' is not a lead of Kopi Kita."):
        _run(path, by="member")
    assert not AccessReview.objects.exists()
    _run(path, by="lead")
    review = AccessReview.objects.get()
    assert review.created_by == lead and review.imported_by == lead
    assert review.obligation.created_by == lead


def test_bad_lines_are_all_named_and_nothing_is_written(tmp_path, team, lead):
    data = csv_bytes(row("a", mfa="maybe"), row("b"), row("b", last_login="yesterday"))
    with pytest.raises(CommandError) as caught:
        _run(_file(tmp_path, data), by="lead")
    message = str(caught.value)
    assert "nothing imported" in message
    assert "Line 2, field mfa: expected yes or no, got 'maybe'." in message
    assert "Line 4, field last_login: expected a date as YYYY-MM-DD, got 'yesterday'." in message
    assert caught.value.returncode == 1
    assert not AccessReview.objects.exists()
    assert not Obligation.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="checklists.").exists()


def test_a_secret_is_refused_without_being_printed(tmp_path, team, lead):
    with pytest.raises(CommandError) as caught:
        _run(_file(tmp_path, csv_bytes(row("a", person=GITHUB))), by="lead")
    assert "Line 2 looks like it holds a GitHub token" in str(caught.value)
    assert GITHUB not in str(caught.value)
    assert not AccessReview.objects.exists()


def test_an_oversize_file_is_refused_before_reading(tmp_path, team, settings):
    settings.ACCESS_REVIEW_MAX_BYTES = 100
    data = csv_bytes(row("a"), row("b"))
    with pytest.raises(CommandError, match=f"The file is {len(data)} bytes; a roster may be"):
        _run(_file(tmp_path, data))
    assert not AccessReview.objects.exists()


def test_an_unknown_team_is_named(tmp_path, team):
    with pytest.raises(CommandError, match="No team has the slug 'kopi-lain'."):
        _run(_file(tmp_path, csv_bytes(row("a"))), team="kopi-lain")


def test_a_bad_period_is_named(tmp_path, team, lead):
    with pytest.raises(CommandError, match="'2026-4' is not a quarter such as 2026-Q4"):
        _run(_file(tmp_path, csv_bytes(row("a"))), period="2026-4", by="lead")
    assert not AccessReview.objects.exists()


def test_a_missing_file_is_named(tmp_path, team):
    with pytest.raises(CommandError, match="cannot be read: No such file or directory"):
        _run(tmp_path / "missing.csv")


def test_a_campaign_past_draft_is_refused(tmp_path, team, lead):
    with on():
        review = imported(team, lead, row("a"))
        services.access_review_start(review=review, by=lead)
    with pytest.raises(CommandError, match="The roster is frozen since the review started"):
        _run(_file(tmp_path, csv_bytes(row("b"))))
    assert list(AccessEntry.objects.values_list("account", flat=True)) == ["a"]
