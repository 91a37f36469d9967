#!/usr/bin/env python
"""p50/p95 of the heaviest pages at scale, with the plans of their biggest queries.

    export CI=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_perf
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --teams 200
    .venv/bin/python benchmarks/heavy_pages.py build        # once: answers, evidence, events
    .venv/bin/python benchmarks/heavy_pages.py run --repeat 30

`build` adds, with bulk inserts, what the demo teams lack for a realistic load: an earlier
quarter's checklist per team (one of them every provider and the ASVS level 2 baseline, the
biggest page), answers in every state (a seventh waiting for review, some approvals gone
stale), evidence links (some withdrawn) and audit events up to about 230,000. It also makes
`perf-busy`, lead of twenty teams owning much of their work, and `perf-idle`, member of one
team without a checklist: the full and the empty to-do page.

`run` times each page --repeat times through the Django test client (after two warm-up
requests), prints p50 and p95 in milliseconds, and with --plans the key lines of
`EXPLAIN (ANALYZE, BUFFERS)` of each page's slowest queries. The signed-in `/teams/` page is
the floor. PostgreSQL only: SQLite plans say nothing about production.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TARGET_ANSWERS = 75_000
TARGET_EVENTS = 230_000
BUSY_TEAMS = 20


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # The test client asks for `testserver`, over https so no redirect gets timed instead.
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Run it against PostgreSQL (DATABASE_URL=postgres://...).")


# Building the data ------------------------------------------------------------------------


def build() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from checklists.models import Attestation, Checklist, Provider
    from checklists.periods import Quarter
    from checklists.services.checklists import checklist_create
    from portal.accounts import services as accounts
    from portal.accounts.models import Role, Team
    from portal.audit.models import AuditEvent

    rng = random.Random(16)
    teams = list(Team.objects.order_by("pk"))
    if len(teams) < 200:
        sys.exit("Run `manage.py seed_demo --teams 200` first.")
    providers = list(Provider.objects.all())
    previous = str(Quarter.current().previous())
    with transaction.atomic():
        for index, team in enumerate(teams):
            if team.checklists.filter(period=previous).exists():
                continue
            lead = team.memberships.filter(role=Role.LEAD).first().user
            checklist_create(
                team=team,
                period=previous,
                providers=providers,
                asvs_level=2 if index == 10 else 1,
                by=lead,
            )
    print(f"checklists: {Checklist.objects.count()}, answers: {Attestation.objects.count()}")

    User = get_user_model()
    busy, _ = User.objects.get_or_create(username="perf-busy")
    idle, _ = User.objects.get_or_create(username="perf-idle")
    busy_teams = teams[20 : 20 + BUSY_TEAMS]
    with transaction.atomic():
        for team in busy_teams:
            if not team.memberships.filter(user=busy).exists():
                accounts.membership_add(team=team, user=busy, role=Role.LEAD)
        idle_team = Team.objects.filter(slug="perf-idle-team").first() or accounts.team_create(
            name="Perf Idle Team", slug="perf-idle-team"
        )
        if not idle_team.memberships.filter(user=idle).exists():
            accounts.membership_add(team=idle_team, user=idle, role=Role.MEMBER)

    if Attestation.objects.exclude(status="unanswered").count() < TARGET_ANSWERS // 3:
        _answer_everything(rng, teams, busy, set(t.pk for t in busy_teams))
    _add_events(rng)
    with connection.cursor() as cursor:  # plans from real statistics, as production has
        cursor.execute("VACUUM ANALYZE")
    print(
        f"answers: {Attestation.objects.count()}, "
        f"submitted: {Attestation.objects.filter(review_state='submitted').count()}, "
        f"audit events: {AuditEvent.objects.count()}, now {timezone.now():%H:%M}"
    )


def _answer_everything(rng, teams, busy, busy_team_ids: set[int]) -> None:
    from django.db import transaction
    from django.utils import timezone

    from checklists.models import Attestation, Evidence, EvidenceLink
    from portal.accounts.models import Membership

    now = timezone.now()
    today = timezone.localdate()
    members: dict[int, list[int]] = {}
    for team_id, user_id in Membership.objects.values_list("team_id", "user_id"):
        members.setdefault(team_id, []).append(user_id)
    rows = list(
        Attestation.objects.filter(satisfied_through__isnull=True).select_related("checklist")
    )
    evidence_by_team: dict[int, list[Evidence]] = {}
    with transaction.atomic():
        for team in teams:
            people = members.get(team.pk) or [busy.pk]
            evidence_by_team[team.pk] = Evidence.objects.bulk_create(
                Evidence(
                    team=team,
                    kind="link",
                    description=f"Runbook page {n}",
                    url=f"https://wiki.example.com/{team.slug}/{n}",
                    uploaded_by_id=rng.choice(people),
                )
                for n in range(12)
            )
        links = []
        for row in rows:
            team_id = row.checklist.team_id
            people = members.get(team_id) or [busy.pk]
            if team_id in busy_team_ids and rng.random() < 0.4:
                row.owner_id = busy.pk
            else:
                row.owner_id = rng.choice(people) if rng.random() < 0.8 else None
            roll = rng.random()
            row.due_date = today + timedelta(days=rng.randint(-20, 90)) if roll < 0.5 else None
            if roll < 0.25:
                continue  # unanswered, draft
            row.status = rng.choice(("implemented", "implemented", "partial", "not-implemented"))
            row.statement = "Met by the platform's configuration; see the linked runbook."
            if row.status != "implemented":
                row.justification = "Planned for the next release."
            row.attested_by_id = rng.choice(people)
            row.attested_at = now - timedelta(days=rng.randint(1, 200))
            if roll < 0.38:
                row.review_state = "draft"
            elif roll < 0.53:
                row.review_state = "submitted"
                row.submitted_at = now - timedelta(days=rng.randint(0, 60), minutes=row.pk % 997)
            elif roll < 0.58:
                row.review_state = "changes-requested"
            else:
                row.review_state = "approved"
                row.approved_at = now - timedelta(days=rng.randint(1, 300))
                if rng.random() < 0.5:
                    row.next_review_due = today + timedelta(days=rng.randint(-120, 200))
            for evidence in rng.sample(evidence_by_team[team_id], rng.randint(0, 3)):
                withdrawn = rng.random() < 0.15
                links.append(
                    EvidenceLink(
                        attestation=row,
                        evidence=evidence,
                        added_by_id=row.attested_by_id,
                        withdrawn_by_id=row.attested_by_id if withdrawn else None,
                        withdrawn_at=now if withdrawn else None,
                    )
                )
        fields = [
            "owner",
            "due_date",
            "status",
            "statement",
            "justification",
            "attested_by",
            "attested_at",
            "review_state",
            "submitted_at",
            "approved_at",
            "next_review_due",
        ]
        Attestation.objects.bulk_update(rows, fields, batch_size=2000)
        EvidenceLink.objects.bulk_create(links, batch_size=5000)
    print(f"answered {len(rows)} rows, {len(links)} evidence links")


def _add_events(rng) -> None:
    """One queueing event per waiting answer, the rest other teams' everyday actions."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from checklists.models import Attestation
    from portal.audit import services as audit
    from portal.audit.models import AuditEvent

    have = AuditEvent.objects.count()
    if have >= TARGET_EVENTS:
        return
    users = {u.pk: u for u in get_user_model().objects.all()}
    waiting = list(
        Attestation.objects.filter(review_state="submitted").select_related("checklist__team")
    )
    entries = [
        audit.Entry(
            "checklists.attestation.submitted",
            actor=users.get(row.attested_by_id),
            obj=row,
            team=row.checklist.team,
        )
        for row in waiting
    ]
    others = list(
        Attestation.objects.exclude(review_state="submitted").select_related("checklist__team")
    )
    actions = ("checklists.attestation.changed", "checklists.evidence.added", "accounts.x.viewed")
    while have + len(entries) < TARGET_EVENTS:
        row = rng.choice(others)
        entries.append(
            audit.Entry(
                rng.choice(actions),
                actor=users.get(row.attested_by_id or row.owner_id),
                obj=row,
                team=row.checklist.team,
            )
        )
    for start in range(0, len(entries), 5000):
        with transaction.atomic():
            audit.record_many(entries[start : start + 5000])
    print(f"recorded {len(entries)} audit events")


# Timing the pages -------------------------------------------------------------------------


def _pages() -> list[tuple[str, str, str]]:
    from django.db.models import Count
    from django.urls import reverse

    from checklists.models import Checklist

    big = (
        Checklist.objects.annotate(rows=Count("attestations"))
        .select_related("team")
        .order_by("-rows")
        .first()
    )
    queue = reverse("checklists:review_queue")
    return [
        ("floor: /teams/", "perf-busy", reverse("accounts:team_list")),
        ("to-do, empty", "perf-idle", reverse("checklists:todo")),
        ("to-do, full", "perf-busy", reverse("checklists:todo")),
        ("queue", "reviewer", queue),
        ("queue, severity=high", "reviewer", f"{queue}?severity=high"),
        ("queue, older than 30 days", "reviewer", f"{queue}?older_than_days=30"),
        ("queue, page 2", "reviewer", f"{queue}?page=2"),
        (
            f"checklist {big.team.slug} {big.period} ({big.rows} rows)",
            "perf-busy" if big.team.memberships.filter(user__username="perf-busy") else "admin",
            reverse("checklists:checklist_detail", args=[big.team.slug, big.period]),
        ),
    ]


def _client_for(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST="testserver")
    client.force_login(user)
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    if device is not None:  # as if the second factor had been given
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


KEY_LINE = re.compile(r"Seq Scan|Index|Bitmap|Sort|Aggregate|Hash Join|Nested Loop|Execution Time")


def _plans(client, url: str, top: int) -> None:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # a request clears the log: start from an empty one
    with CaptureQueriesContext(connection) as captured:
        client.get(url, secure=True)
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:top]
    print(f"    {len(captured.captured_queries)} queries; slowest {len(queries)}:")
    for query in queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        print(f"    -- {query['time']}s {sql[:150]}…")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            for (line,) in cursor.fetchall():
                if KEY_LINE.search(line):
                    print(f"       {line[:160]}")


def run(repeat: int, plans: int) -> None:
    # No setup_test_environment(): its template signal would copy every context, and be timed.
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    print(f"{'page':<52} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, username, url in _pages():
        client = _client_for(username)
        for _ in range(2):
            response = client.get(url, secure=True)
            assert response.status_code == 200, (label, response.status_code)
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            client.get(url, secure=True)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(url, secure=True)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{label:<52} {statistics.median(times):8.1f} {p95:8.1f} "
            f"{len(captured.captured_queries):8d}"
        )
        if plans:
            _plans(client, url, plans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("build", "run"))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--plans", type=int, default=0, help="explain each page's N slowest")
    args = parser.parse_args()
    _setup()
    if args.what == "build":
        build()
    else:
        run(args.repeat, args.plans)


if __name__ == "__main__":
    main()
