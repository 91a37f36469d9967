"""Demo access reviews for `seed_demo`: last quarter's campaign completed, this quarter's open
with flags, a role change and a removed account. Everything goes through the services."""

from datetime import timedelta

from django.utils import timezone

from checklists.models import AccessDecisionKind, AccessReview, Provider
from checklists.periods import Quarter
from checklists.services import access_decisions, access_reviews
from portal.accounts.models import Role, Team

SYSTEMS = {
    "codepay": "CodePay merchant platform",
    "wechat": "WeChat admin console",
    "gopay": "GoPay portal",
    "ucanpay": "UCanPay dashboard",
    "mixpay": "MixPay console",
}
HEADER = "account,person,email,role,privileged,mfa,last_login,created"


def _roster(rows: list[tuple]) -> bytes:
    lines = [HEADER, *(",".join(str(cell) for cell in row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


NAMES = ["Ayu Lestari", "Rizky Pratama", "Dewi Anggraini", "Bima Saputra", "Nadia Putri"]


def _people(team: Team, today) -> list[tuple]:
    """The team's own people, each with a named account, MFA and a recent login."""
    rows = []
    memberships = team.memberships.select_related("user").order_by("user__username")
    for name, membership in zip(NAMES, memberships, strict=False):
        user = membership.user
        lead = membership.role == Role.LEAD
        rows.append(
            (
                name.lower().replace(" ", "."),
                name,
                user.email,
                "administrator" if lead else "operator",
                "yes" if lead else "no",
                "yes",
                today - timedelta(days=3),
                today - timedelta(days=400),
            )
        )
    return rows


def seed_team_access_reviews(team: Team, reviewer) -> None:
    if AccessReview.objects.filter(team=team).exists():
        return
    lead = team.memberships.get(role=Role.LEAD).user
    provider = Provider.objects.filter(checklists__team=team).order_by("name").first()
    system = SYSTEMS.get(provider.slug, "Cloud console") if provider else "Cloud console"
    today = timezone.localdate()
    quarter = Quarter.current()
    people = _people(team, today)

    # Last quarter: reviewed, one shared account revoked and the revocation carried out.
    last = access_reviews.access_review_create(
        team=team, system=system, period=str(quarter.previous()), by=lead
    )
    access_reviews.roster_import(
        review=last,
        data=_roster(
            [
                *people,
                (
                    "finance.siti",
                    "Siti Rahma",
                    "siti@partner.example.com",
                    "finance",
                    "no",
                    "yes",
                    today - timedelta(days=20),
                    today - timedelta(days=300),
                ),
                (
                    "ops",
                    "",
                    "",
                    "administrator",
                    "yes",
                    "no",
                    today - timedelta(days=10),
                    today - timedelta(days=700),
                ),
            ]
        ),
        name="operators-last-quarter.csv",
        by=lead,
    )
    access_reviews.access_review_start(review=last, by=lead)
    for entry in last.entries.order_by("account"):
        if entry.account == "ops":
            access_decisions.entry_decide(
                entry=entry,
                by=reviewer,
                decision=AccessDecisionKind.REVOKE,
                reason="Shared administrator without MFA; each operator gets a named account.",
            )
        else:
            access_decisions.entry_decide(
                entry=entry,
                by=reviewer,
                decision=AccessDecisionKind.KEEP,
                reason="Finance partner under contract until June." if entry.flagged else "",
            )
    access_decisions.entry_action_done(
        entry=last.entries.get(account="ops"),
        by=lead,
        note="Account disabled on the platform; ticket OPS-311.",
    )
    access_decisions.access_review_complete(review=last, by=lead)

    # This quarter: the partner left (removed), a role changed, a new contractor with
    # privileges and no MFA, a dormant account; some entries decided, one revocation open.
    current = access_reviews.access_review_create(
        team=team, system=system, period=str(quarter), by=lead
    )
    changed = [list(row) for row in people]
    changed[-1][3] = "administrator"  # the last person was given more rights
    access_reviews.roster_import(
        review=current,
        data=_roster(
            [
                *map(tuple, changed),
                (
                    "contractor.budi",
                    "Budi Santoso",
                    "budi@vendor.example.com",
                    "administrator",
                    "yes",
                    "no",
                    today - timedelta(days=2),
                    today - timedelta(days=20),
                ),
                (
                    "test-support",
                    "",
                    "",
                    "support",
                    "no",
                    "yes",
                    today - timedelta(days=140),
                    today - timedelta(days=500),
                ),
            ]
        ),
        name="operators.csv",
        by=lead,
    )
    access_reviews.access_review_start(review=current, by=lead)
    support = current.entries.get(account="test-support")
    access_decisions.entry_decide(
        entry=support,
        by=reviewer,
        decision=AccessDecisionKind.REVOKE,
        reason="Generic account, unused for months.",
    )
    keepable = access_decisions.bulk_keepable(current, reviewer)
    access_decisions.entries_keep_bulk(
        review=current, by=reviewer, entry_ids=list(keepable.values_list("pk", flat=True))
    )
