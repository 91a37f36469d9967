#!/usr/bin/env python
"""Many people at once: a bounded load test of the portal on PostgreSQL behind gunicorn.

    .venv/bin/pip install -e ".[bench,production]"
    .venv/bin/python benchmarks/load_test.py [--users 20] [--minutes 5] [--teams 20]

Creates a scratch PostgreSQL database (`portal_load` on 127.0.0.1, dropped and made anew),
loads the catalog, and makes `--teams` teams, each with a lead, two members and a checklist
for last quarter, plus reviewers and auditors: one account each per simulated user, with an
authenticator key whose codes the locust users compute at sign-in. It serves the portal with
gunicorn (2 workers, loopback only) and runs locust headless (benchmarks/locustfile.py):
members answer, submit and upload evidence, reviewers approve one by one and in bulk, leads
copy the quarter, the auditor exports the audit trail. Afterwards it verifies the audit chain
and prints, as a Markdown table, the requests, failures, p50 and p95 of each action, the
deadlocks found in the server log, and the verification's exit code. Traffic goes to
127.0.0.1 only, and the run stops after `--minutes`.
"""

import argparse
import csv
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DATABASE = "portal_load"

PREPARE = """
import json, os
from django.contrib.auth.models import Group, User
from checklists.models import Provider
from checklists.periods import Quarter
from checklists.services.checklists import checklist_create
from portal.accounts import services as accounts
from portal.accounts import two_factor
from portal.accounts.permissions import AUDITORS_GROUP, REVIEWERS_GROUP

password = os.environ["LOAD_PASSWORD"]
teams = int(os.environ["LOAD_TEAMS"])
users = int(os.environ["LOAD_USERS"])
provider_sets = [("gopay", "mixpay"), ("codepay", "wechat"), ("gopay", "ucanpay")]
last = Quarter.current().previous()
people = {"members": [], "leads": [], "reviewers": [], "auditors": []}

def user(name):
    person = User.objects.create(username=name)
    person.set_password(password)
    person.save()
    return person

for number in range(teams):
    team = accounts.team_create(name=f"Load team {number}", slug=f"load-{number}")
    lead = user(f"load-lead-{number}")
    accounts.membership_add(team=team, user=lead, role="lead")
    slugs = provider_sets[number % len(provider_sets)]
    checklist = checklist_create(
        team=team, period=str(last), providers=list(Provider.objects.filter(slug__in=slugs)),
        by=lead,
    )
    answers = [
        a.get_absolute_url()
        for a in checklist.attestations.filter(satisfied_through__isnull=True)
        .select_related("checklist__team", "control")[:60]
    ]
    for m in range(2):
        member = user(f"load-member-{number}-{m}")
        accounts.membership_add(team=team, user=member, role="member")
        people["members"].append({"username": member.username, "answers": answers})
    following, periods = last, []
    for _ in range(6):
        following = following.next()
        periods.append(str(following))
    people["leads"].append(
        {"username": lead.username, "team": team.slug, "providers": list(slugs),
         "periods": periods}
    )
# Reviewers and auditors sign in with a code; a code works once, so each simulated person
# gets an account of their own.
for number in range(max(3, users)):
    reviewer = user(f"load-reviewer-{number}")
    reviewer.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    key, _ = two_factor.two_factor_provision(user=reviewer, reason="load test")
    people["reviewers"].append({"username": reviewer.username, "key": key})
for number in range(max(1, users)):
    auditor = user(f"load-auditor-{number}")
    auditor.groups.add(Group.objects.get(name=AUDITORS_GROUP))
    key, _ = two_factor.two_factor_provision(user=auditor, reason="load test")
    people["auditors"].append({"username": auditor.username, "key": key})
for group in people.values():
    for person in group:
        person["password"] = password
print(json.dumps(people))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, text=True, **kwargs)


def _table(stats_csv: Path) -> list[dict]:
    with stats_csv.open() as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--teams", type=int, default=20)
    options = parser.parse_args()
    for tool in ("gunicorn", "locust"):
        if not (VENV_BIN / tool).exists():
            print(f'{tool} is missing: .venv/bin/pip install -e ".[bench,production]"')
            return 2

    scratch = Path(tempfile.mkdtemp(prefix="portal-load-"))
    env = {
        **os.environ,
        "DEBUG": "true",
        "PORTAL_DATA_DIR": str(scratch),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "LOAD_PASSWORD": secrets.token_urlsafe(12),
        "LOAD_TEAMS": str(options.teams),
        "LOAD_USERS": str(options.users),
        "LOAD_PEOPLE_FILE": str(scratch / "people.json"),
    }
    env.pop("CELERY_BROKER_URL", None)  # tasks run in the web process, as under `make run`
    _run(env, "dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE, check=True)
    _run(env, "createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE, check=True)
    manage = (sys.executable, "manage.py")
    _run(env, *manage, "migrate", "--noinput", check=True, capture_output=True)
    _run(env, *manage, "load_catalog", check=True, capture_output=True)
    people = (
        _run(env, *manage, "shell", "-c", PREPARE, check=True, capture_output=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    (scratch / "people.json").write_text(people)

    port = _free_port()
    server_log = scratch / "gunicorn.log"
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "portal.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
            f"--error-logfile={server_log}",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        prefix = scratch / "locust"
        _run(
            env,
            str(VENV_BIN / "locust"),
            "-f",
            "benchmarks/locustfile.py",
            "--headless",
            f"--users={options.users}",
            "--spawn-rate=5",
            f"--run-time={int(options.minutes * 60)}s",
            f"--host=http://127.0.0.1:{port}",
            f"--csv={prefix}",
            "--only-summary",
            check=False,
            capture_output=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    verify = _run(env, *manage, "verify_audit_log", capture_output=True)
    deadlocks = server_log.read_text().count("deadlock detected")
    rows = _table(Path(f"{prefix}_stats.csv"))
    print(f"{options.users} users, {options.minutes:g} min, {options.teams} teams, PostgreSQL, ")
    print("gunicorn 2 workers\n")
    print("| action | requests | failures | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['Type']} {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
            f"| {row['50%']} | {row['95%']} |"
        )
    failures = sum(int(row["Failure Count"]) for row in rows)
    print(f"\nfailures: {failures}; deadlocks in the server log: {deadlocks}; ")
    print(f"verify_audit_log exit {verify.returncode}: {verify.stdout.strip()}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0 if failures == 0 and deadlocks == 0 and verify.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
