"""Importing a roster: what a good file gives, each bad line refused with its own sentence,
nothing written on any error, the limits, secrets, and the flags at their boundaries."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists import access_rosters
from checklists.models.access_reviews import AccessEntry, CampaignState
from checklists.services import access_reviews as services
from portal.audit.models import AuditEvent
from tests.checklists.access_reviews.rosters import (
    GITHUB,
    GOOD_ROWS,
    TODAY,
    csv_bytes,
    make_review,
    many,
    on,
    row,
)


@pytest.fixture
def review(team, lead, member):
    with on():
        return make_review(team, lead)


def _import(review, data: bytes, by, name: str = "codepay.csv"):
    with on():
        return services.roster_import(review=review, data=data, name=name, by=by)


def _refusal(review, data: bytes, by) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        _import(review, data, by)
    return caught.value.messages


# --- A good file ------------------------------------------------------------------------------


def test_a_good_roster_is_imported_with_its_flags(review, lead):
    header = " Account ,PERSON,E-mail,role,Privileged,MFA,Last login,CREATED"
    data = csv_bytes(*GOOD_ROWS, header=header, bom=True, ending="\r\n")

    result = _import(review, data, lead)

    entries = {entry.account: entry for entry in review.entries.all()}
    assert list(entries) == ["budi.s", "ops", "rudi.h", "siti.rahma"]
    siti = entries["siti.rahma"]
    assert (siti.person, siti.email, siti.role, siti.line) == (
        "Siti Rahma",
        "member@example.com",
        "Finance viewer",
        2,
    )
    assert (siti.privileged, siti.mfa) == (False, True)
    assert (siti.last_login, siti.created) == (date(2026, 12, 1), date(2024, 3, 1))
    assert not siti.flagged
    assert entries["budi.s"].created is None and not entries["budi.s"].flagged
    ops = entries["ops"]
    assert ops.last_login is None
    assert (ops.shared, ops.dormant, ops.privileged_without_mfa, ops.not_a_member) == (
        True,
        True,
        True,
        True,
    )
    assert entries["rudi.h"].not_a_member and not entries["rudi.h"].shared
    assert all(entry.change == "new" for entry in entries.values())
    assert result.summary == (
        "Imported 4 accounts into CodePay merchant platform 2026-Q4 for Kopi Kita: 4 new, "
        "0 unchanged, 0 role changed, 0 removed; flags: 1 shared, 1 dormant, 1 privileged "
        "without MFA, 2 not members."
    )
    review.refresh_from_db()
    assert review.state == CampaignState.DRAFT
    assert review.roster_name == "codepay.csv"
    assert review.roster_sha256 == hashlib.sha256(data).hexdigest()
    assert review.imported_by == lead and review.imported_at is not None


def test_the_audit_event_holds_counts_and_hash_never_the_content(review, lead):
    data = csv_bytes(*GOOD_ROWS)
    _import(review, data, lead)
    event = AuditEvent.objects.get(action="checklists.access_review.roster_imported")
    assert event.changes["accounts"] == 4
    assert event.changes["shared"] == 1
    assert len(event.changes["roster_sha256"]) == 64
    assert "siti" not in str(event.changes).lower()


def test_importing_again_replaces_the_draft_roster(review, lead):
    _import(review, csv_bytes(*GOOD_ROWS), lead)
    _import(review, csv_bytes(row("new.person")), lead)
    assert list(review.entries.values_list("account", flat=True)) == ["new.person"]


def test_blank_lines_and_yes_no_spellings_are_accepted(review, lead):
    data = csv_bytes(row("a", privileged="YES", mfa="No"), "", row("b", privileged="y", mfa="1"))
    _import(review, data, lead)
    a, b = review.entries.all()
    assert (a.privileged, a.mfa, a.line) == (True, False, 2)
    assert (b.privileged, b.mfa, b.line) == (True, True, 4)


def test_only_the_required_columns_are_needed(review, lead):
    data = csv_bytes("solo,Finance,no,yes", header="account,role,privileged,mfa")
    _import(review, data, lead)
    entry = review.entries.get()
    assert (entry.person, entry.email, entry.last_login) == ("", "", None)
    assert entry.shared and entry.dormant and entry.not_a_member


# --- Bad lines, each with its sentence ----------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            row("a", mfa="maybe"),
            "Line 3, field mfa: expected yes or no, got 'maybe'.",
        ),
        (
            row("a", privileged=""),
            "Line 3, field privileged: expected yes or no, got ''.",
        ),
        (
            row("a", last_login="07/11/2026"),
            "Line 3, field last_login: expected a date as YYYY-MM-DD, got '07/11/2026'.",
        ),
        (
            row("a", created="2026-02-30"),
            "Line 3, field created: expected a date as YYYY-MM-DD, got '2026-02-30'.",
        ),
        (row(""), "Line 3, field account: required, but empty."),
        (row("a", role=" "), "Line 3, field role: required, but empty."),
        (
            row("a", email="siti at kopi"),
            "Line 3, field email: expected an e-mail address, got 'siti at kopi'.",
        ),
        (
            row("siti.rahma"),
            "Line 3, field account: 'siti.rahma' is already on line 2; each account appears once.",
        ),
        (row("a") + ",extra", "Line 3: 9 cells, but the header has 8 columns."),
    ],
)
def test_a_bad_line_is_refused_with_its_line_and_field(review, lead, bad_row, message):
    assert _refusal(review, csv_bytes(row("siti.rahma"), bad_row), lead) == [message]


def test_every_bad_line_is_listed_and_the_list_is_capped(review, lead):
    rows = [row(f"user.{number}", mfa="maybe") for number in range(60)]
    messages = _refusal(review, csv_bytes(*rows), lead)
    assert len(messages) == 51
    assert messages[0] == "Line 2, field mfa: expected yes or no, got 'maybe'."
    assert messages[49] == "Line 51, field mfa: expected yes or no, got 'maybe'."
    assert messages[50] == "…and 10 more problems."


def test_a_line_with_several_problems_names_each(review, lead):
    messages = _refusal(review, csv_bytes(row("a", privileged="si", last_login="kemarin")), lead)
    assert messages == [
        "Line 2, field privileged: expected yes or no, got 'si'.",
        "Line 2, field last_login: expected a date as YYYY-MM-DD, got 'kemarin'.",
    ]


def test_unknown_and_missing_columns_are_named(review, lead):
    header = "account,person,Department,role,privileged,last_login"
    messages = _refusal(review, csv_bytes("a,b,c,d,no,", header=header), lead)
    assert messages == [
        "Line 1: unknown column 'Department'. The columns are: account, person, email, "
        "role, privileged, mfa, last_login, created.",
        "Line 1: missing column mfa (required: account, role, privileged, mfa).",
    ]


def test_a_column_given_twice_is_refused(review, lead):
    header = "account,role,privileged,mfa,Last login,last_login"
    messages = _refusal(review, csv_bytes("a,r,no,yes,,", header=header), lead)
    assert messages == ["Line 1: column last_login appears more than once."]


def test_semicolons_are_explained(review, lead):
    messages = _refusal(review, csv_bytes("a;r;no;yes", header="account;role;privileged;mfa"), lead)
    assert "Line 1: separate the columns with commas, not semicolons." in messages


def test_a_file_that_is_not_utf8_is_refused(review, lead):
    data = csv_bytes(row("andré", person="André")).decode().encode("latin-1")
    assert _refusal(review, data, lead) == [
        "The file is not UTF-8 text: line 2 holds a character that cannot be read. Save it "
        "as “CSV UTF-8” and upload it again."
    ]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n  \n"])
def test_an_empty_file_is_refused(review, lead, data):
    assert _refusal(review, data, lead) == [
        "The file is empty: it needs a header line and a line for each account."
    ]


def test_a_header_without_accounts_is_refused(review, lead):
    assert _refusal(review, csv_bytes(), lead) == [
        "The roster lists no account: add a line for each account below the header."
    ]


def test_nothing_is_written_when_a_line_is_bad(review, lead):
    _import(review, csv_bytes(*GOOD_ROWS), lead)
    review.refresh_from_db()
    before = (review.roster_sha256, review.imported_at, review.entries.count())
    events = AuditEvent.objects.count()

    _refusal(review, csv_bytes(row("fresh"), row("bad", mfa="maybe")), lead)

    review.refresh_from_db()
    assert (review.roster_sha256, review.imported_at, review.entries.count()) == before
    assert sorted(review.entries.values_list("account", flat=True)) == [
        "budi.s",
        "ops",
        "rudi.h",
        "siti.rahma",
    ]
    assert AuditEvent.objects.count() == events


# --- Limits and secrets -------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_with_its_size(review, lead, settings):
    settings.ACCESS_REVIEW_MAX_BYTES = 1_000
    data = many(30)
    assert len(data) > 1_000
    assert _refusal(review, data, lead) == [
        f"The file is {len(data):,} bytes; a roster may be at most 1,000 bytes. Split the "
        "system's accounts or leave out columns the portal does not read."
    ]
    assert not AccessEntry.objects.exists()


def test_the_default_size_limit_is_one_megabyte(review, lead):
    data = csv_bytes(row("a")) + b" " * 1_048_576
    assert _refusal(review, data, lead)[0].startswith(f"The file is {len(data):,} bytes")


def test_too_many_rows_are_refused(review, lead, settings):
    settings.ACCESS_REVIEW_MAX_ROWS = 20
    _import(review, many(20), lead)
    assert _refusal(review, many(21), lead) == [
        "The roster has more than 20 accounts, the most one import takes. Split the "
        "system's accounts into several campaigns."
    ]
    assert review.entries.count() == 20


def test_a_secret_in_a_cell_refuses_the_file_without_echoing_it(review, lead):
    data = csv_bytes(row("a"), row("b", person=f"Budi {GITHUB}"))
    messages = _refusal(review, data, lead)
    assert messages == [
        "Line 3 looks like it holds a GitHub token; remove it and upload the roster again — "
        "the portal must never hold live credentials."
    ]
    assert GITHUB not in str(messages)
    assert not AccessEntry.objects.exists()
    assert not AuditEvent.objects.filter(action__contains="roster_imported").exists()


def test_a_realistic_roster_is_not_taken_for_secrets(review, lead):
    rows = [
        row("svc-webhook", person="", email="", role="API signing key holder", privileged="yes"),
        row("rina.w", person="Rina Wijaya", role="Refund approver"),
    ]
    _import(review, csv_bytes(*rows), lead)
    assert review.entries.count() == 2


# --- Flags at their boundaries ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "generic"),
    [
        ("ops", True),
        ("team-ops", True),
        ("admin2", True),
        ("ADMIN", True),
        ("Support Desk", True),
        ("root", True),
        ("svc_service", True),
        ("finance.viewer", True),
        ("adminah.rizal", False),
        ("devi.s", False),
        ("siti.rahma", False),
        ("teamwork", False),
        ("rooted", False),
    ],
)
def test_generic_names_are_whole_words(name, generic):
    assert access_rosters.is_generic(name) is generic


def test_no_person_named_is_shared():
    assert access_rosters.is_shared(account="siti.rahma", person="  ")
    assert access_rosters.is_shared(account="siti.rahma", person="Shared login")
    assert not access_rosters.is_shared(account="siti.rahma", person="Siti Rahma")


@pytest.mark.parametrize(("days", "dormant"), [(0, False), (89, False), (90, False), (91, True)])
def test_dormant_after_more_than_ninety_days(review, lead, days, dormant):
    last = (TODAY - timedelta(days=days)).isoformat()
    _import(review, csv_bytes(row("a", last_login=last)), lead)
    assert review.entries.get().dormant is dormant


def test_never_signed_in_is_dormant(review, lead):
    _import(review, csv_bytes(row("a", last_login="")), lead)
    assert review.entries.get().dormant


@pytest.mark.parametrize(
    ("privileged", "mfa", "flagged"),
    [("yes", "no", True), ("yes", "yes", False), ("no", "no", False), ("no", "yes", False)],
)
def test_privileged_without_mfa(review, lead, privileged, mfa, flagged):
    _import(review, csv_bytes(row("a", privileged=privileged, mfa=mfa)), lead)
    assert review.entries.get().privileged_without_mfa is flagged


@pytest.mark.parametrize(
    ("email", "not_a_member"),
    [
        ("member@example.com", False),
        ("MEMBER@Example.COM", False),
        ("lead@example.com", False),
        ("outsider@example.com", True),
        ("", True),
    ],
)
def test_not_a_member_compares_emails_with_the_team(review, lead, outsider, email, not_a_member):
    _import(review, csv_bytes(row("a", email=email)), lead)
    assert review.entries.get().not_a_member is not_a_member


def test_a_member_whose_account_is_deactivated_is_not_a_member(review, lead, member):
    member.is_active = False
    member.save()
    _import(review, csv_bytes(row("a", email="member@example.com")), lead)
    assert review.entries.get().not_a_member


# --- Queries ------------------------------------------------------------------------------------


def _queries(review, data, by) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        _import(review, data, by)
    return [query["sql"] for query in queries.captured_queries]


def test_import_queries_do_not_grow_with_the_rows(team, lead, member):
    with on():
        small_review = make_review(team, lead, system="GoPay portal")
        large_review = make_review(team, lead, system="Cloud console")
    small = _queries(small_review, many(10), lead)
    large = _queries(large_review, many(200), lead)

    def others(sqls):
        return [sql for sql in sqls if not sql.startswith('INSERT INTO "checklists_accessentry"')]

    assert len(others(small)) == len(others(large))
    # Entries are inserted in as few statements as the database's parameter limit allows.
    per_row = len(AccessEntry._meta.concrete_fields)
    batches = -(-200 * per_row // (connection.features.max_query_params or 200 * per_row))
    assert len(large) - len(others(large)) <= max(batches, 1)
