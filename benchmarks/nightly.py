#!/usr/bin/env python
"""How long the nightly obligations run takes, and how long it holds the audit chain's head.

    createdb -h 127.0.0.1 -U postgres bench_nightly
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_nightly \\
        .venv/bin/python benchmarks/nightly.py [--teams 200] [--overdue 5]

PostgreSQL only (DATABASE_URL from the environment; it refuses SQLite, where one writer
locks the whole file and the figures would say nothing). It migrates the database, adds
--teams teams, each with --overdue obligations whose open occurrence went overdue and a few
that are not due yet, then runs the nightly task in this process while another process writes
one unrelated audit event every 20 ms (as sign-ins would). It prints, as JSON, the run's total
time, each team's transaction time (p50, p95, max), how long the audit head was held (from
`record_many` taking it until the team's transaction committed: p50, p95, max), and the
median and longest time an unrelated audited write took while the run went on (with the
median of the same writes before the run, for comparison). The rows it
adds stay (each run adds new teams), so run it on a scratch database.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import json, os, sys, time
import django
django.setup()
from django.db import transaction
from portal.audit import services as audit
samples, stop = [], sys.argv[1]
while not os.path.exists(stop):  # an audited write every 20 ms, as sign-ins would make
    at = time.time()
    with transaction.atomic():
        audit.record("benchmark.unrelated.write", changes={"writer": "nightly"})
    samples.append((at, time.time() - at))
    time.sleep(0.02)
print(json.dumps(samples))
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def fill(teams: int, overdue: int) -> str:
    """New teams, each with `overdue` overdue occurrences and two not due yet (rows only)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from checklists.models import Obligation, ObligationKind, Occurrence
    from portal.accounts.models import Membership, Role, Team

    tag = f"bench-{int(time.time())}"
    today = timezone.localdate()
    with transaction.atomic():
        lead = get_user_model().objects.create(username=tag, email=f"{tag}@example.com")
        made = Team.objects.bulk_create(
            Team(name=f"Team {n} {tag}", slug=f"{tag}-{n}") for n in range(teams)
        )
        Membership.objects.bulk_create(
            Membership(user=lead, team=team, role=Role.LEAD) for team in made
        )
        obligations = Obligation.objects.bulk_create(
            Obligation(
                team=team,
                kind=ObligationKind.CUSTOM,
                title=f"Duty {n}",
                interval_days=90,
                created_by=lead,
            )
            for team in made
            for n in range(overdue + 2)
        )
        per_team = overdue + 2
        occurrences = []
        for number, obligation in enumerate(obligations):
            # The first `overdue` duties of each team are late (by 1, 2, ... days); two are not.
            which = number % per_team
            due_on = today + timedelta(days=-1 - which if which < overdue else 10)
            occurrences.append(
                Occurrence(obligation=obligation, scheduled_on=due_on, due_on=due_on)
            )
        Occurrence.objects.bulk_create(occurrences)
    return tag


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--overdue", type=int, default=5, help="overdue occurrences per team")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "benchmarks/nightly.py measures PostgreSQL: set DATABASE_URL to a scratch "
            "PostgreSQL database (SQLite locks the whole file and would measure nothing).",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("PORTAL_DATA_DIR", tempfile.mkdtemp(prefix="portal-nightly-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.pop("CELERY_BROKER_URL", None)  # the task runs here, eagerly
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from checklists import tasks
    from checklists.services import nightly
    from portal.audit import services as audit
    from portal.celery import app

    call_command("migrate", verbosity=0)
    fill(options.teams, options.overdue)

    team_seconds: list[float] = []
    head_seconds: list[float] = []
    note_team, record_many = nightly.occurrences_note_overdue, audit.record_many

    def timed_team(**kwargs):
        started = time.perf_counter()
        try:
            return note_team(**kwargs)
        finally:
            team_seconds.append(time.perf_counter() - started)

    def timed_record_many(entries):
        # Held from here (the head is locked inside) until the team's transaction commits.
        started = time.perf_counter()
        events = record_many(entries)
        transaction.on_commit(lambda: head_seconds.append(time.perf_counter() - started))
        return events

    nightly.occurrences_note_overdue = timed_team
    nightly.audit.record_many = timed_record_many

    stop = Path(tempfile.mkdtemp(prefix="portal-nightly-stop-")) / "stop"
    writer = subprocess.Popen(  # another process, as a web worker would be
        [sys.executable, "-c", WRITER, str(stop)],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # the writer has started Django and is writing
    app.conf.task_always_eager = True
    started = time.time()
    counts = tasks.obligations_nightly.delay().get()
    finished = time.time()
    time.sleep(0.5)
    stop.touch()
    samples = json.loads(writer.communicate(timeout=60)[0])
    waits = sorted(d for at, d in samples if at <= finished and at + d >= started)
    before = sorted(d for at, d in samples if at + d < started)  # the same writes, unhindered
    print(
        json.dumps(
            {
                "teams_made": options.teams,
                "overdue_per_team": options.overdue,
                **counts,
                "total_seconds": round(finished - started, 3),
                "team_transaction_ms": {
                    "p50": ms(percentile(team_seconds, 0.5)),
                    "p95": ms(percentile(team_seconds, 0.95)),
                    "max": ms(max(team_seconds)),
                },
                "audit_head_held_ms": {
                    "p50": ms(percentile(head_seconds, 0.5)),
                    "p95": ms(percentile(head_seconds, 0.95)),
                    "max": ms(max(head_seconds)),
                },
                "unrelated_write_ms_median_before_run": ms(before[len(before) // 2])
                if before
                else None,
                "unrelated_writes_during_run": len(waits),
                "unrelated_write_ms_median": ms(waits[len(waits) // 2]) if waits else None,
                "unrelated_write_ms_max": ms(waits[-1]) if waits else None,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
