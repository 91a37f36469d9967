#!/usr/bin/env python
"""How long an unrelated audited write waits while a big checklist is copied (PostgreSQL).

    .venv/bin/python benchmarks/audit_wait.py [--trials 3]

Makes a scratch database (`portal_audit_wait` on 127.0.0.1, dropped and made anew), a team
with a checklist of every provider plus the ASVS level 2 baseline (about 400 controls), every
carrier answered, then copies it into the next quarter while another thread writes one audit
event (as a sign-in does) every 20 ms from another process, as another web worker would. It
prints, per trial, the copy's duration and query count and the median and longest time an
unrelated write took while the copy ran.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "portal_audit_wait"


WRITER = """
import json, sys, time
import django
django.setup()
from django.db import transaction
from portal.audit import services as audit
samples, stop = [], time.time() + 6
while time.time() < stop:  # an audited write every 20 ms, as sign-ins would make
    at = time.time()
    with transaction.atomic():
        audit.record("benchmark.unrelated.write", changes={"trial": int(sys.argv[1])})
    samples.append((at, time.time() - at))
    time.sleep(0.02)
print(json.dumps(samples))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3)
    options = parser.parse_args()
    os.environ.update(
        DEBUG="true",
        PORTAL_DATA_DIR=tempfile.mkdtemp(prefix="portal-audit-wait-"),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    for command in ("dropdb --if-exists", "createdb"):
        subprocess.run(
            [*command.split(), "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True
        )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from checklists.models import Provider
    from checklists.periods import Quarter
    from checklists.services import answers
    from checklists.services.checklists import checklist_create
    from portal.accounts import services as accounts

    call_command("migrate", verbosity=0)
    call_command("load_catalog", verbosity=0)
    lead = get_user_model().objects.create(username="lead")
    team = accounts.team_create(name="Big team", slug="big")
    accounts.membership_add(team=team, user=lead, role="lead")
    providers = list(Provider.objects.all())
    results = []
    for trial in range(options.trials):
        source = Quarter(2030 + trial, 1)
        checklist = checklist_create(
            team=team, period=str(source), providers=providers, asvs_level=2, by=lead
        )
        for item in checklist.attestations.filter(satisfied_through__isnull=True):
            answers.attestation_save(
                attestation=item,
                by=lead,
                status="implemented",
                statement="Met.",
                addresses_all=True,
                expected_version=0,
            )
        copy = {}
        writer = subprocess.Popen(  # another process, as another web worker would be
            [sys.executable, "-c", WRITER, str(trial)],
            cwd=ROOT,
            env=os.environ,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(2)  # the writer has started Django and is writing
        reset_queries()  # the query log holds 9,000 at most: start each trial empty
        started = time.time()
        with CaptureQueriesContext(connection) as queries:
            new = checklist_create(
                team=team,
                period=str(source.next()),
                providers=providers,
                asvs_level=2,
                by=lead,
                copy_previous=True,
            )
        finished = time.time()
        copy.update(
            seconds=finished - started,
            queries=len(queries.captured_queries),
            controls=new.attestations.count(),
        )
        samples = json.loads(writer.communicate()[0])
        # every write that overlapped the copy
        waits = sorted(d for at, d in samples if at <= finished and at + d >= started)
        results.append(
            {
                **copy,
                "unrelated_writes_during_copy": len(waits),
                "unrelated_write_ms_median": round(waits[len(waits) // 2] * 1000, 1),
                "unrelated_write_ms_max": round(waits[-1] * 1000, 1),
            }
        )
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
