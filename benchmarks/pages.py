#!/usr/bin/env python
"""How fast the heavy pages are at scale: p50, p95 and requests/s of each, on PostgreSQL
behind gunicorn (2 workers), in one locust run.

    .venv/bin/pip install -e ".[bench,production]"
    createdb -h 127.0.0.1 -U postgres portal_pages   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_pages .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_pages \\
        .venv/bin/python manage.py seed_demo --teams 200 --audit-events 230000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_pages \\
        .venv/bin/python benchmarks/pages.py [--users 6] [--seconds 120]

It runs against the database in DATABASE_URL as it is (seed it first, as above). Its set-up
gives the lead of the team with the biggest checklist a password and makes one reviewer and
one auditor account per simulated user (`bench-reviewer-N`, `bench-auditor-N`) with an
authenticator key, whose codes it computes to pass the two-factor step, once per user. Then it
serves the portal with gunicorn (2 workers, loopback only) and runs locust headless with this
file as the locustfile: every simulated person opens its pages in turn. It prints a Markdown
table of each page's p50, p95, requests/s and p95 over the floor's (a trivial signed-in page,
/teams/). A page that answers 404 (not built yet) is left out of the table, with a note.
"""

import argparse
import csv
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
FLOOR = "floor: /teams/"

PREPARE = """
import json, os
from django.contrib.auth.models import Group, User
from django.db.models import Count
from checklists.models import Checklist
from portal.accounts import two_factor
from portal.accounts.models import Role
from portal.accounts.permissions import AUDITORS_GROUP, REVIEWERS_GROUP

password = os.environ["BENCH_PASSWORD"]
users = int(os.environ["BENCH_USERS"])
biggest = (
    Checklist.objects.annotate(size=Count("attestations")).select_related("team")
    .order_by("-size", "-period").first()
)
team = biggest.team
lead = team.memberships.get(role=Role.LEAD).user
lead.set_password(password)
lead.save(update_fields=["password"])
answer = biggest.attestations.filter(satisfied_through__isnull=True).exclude(
    status="unanswered").select_related("checklist__team", "control").first()

def reader(name, group):
    person, _ = User.objects.get_or_create(username=name, defaults={"email": f"{name}@example.com"})
    person.set_password(password)
    person.save(update_fields=["password"])
    person.groups.add(Group.objects.get(name=group))
    secret, _codes = two_factor.two_factor_provision(user=person, reason="page benchmark")
    return {"username": name, "password": password, "key": secret}

print(json.dumps({
    "lead": {"username": lead.username, "password": password},
    "reviewers": [reader(f"bench-reviewer-{n}", REVIEWERS_GROUP) for n in range(users)],
    "auditors": [reader(f"bench-auditor-{n}", AUDITORS_GROUP) for n in range(users)],
    "team": team.slug,
    "checklist": biggest.get_absolute_url(),
    "checklist_size": biggest.size,
    "answer": answer.get_absolute_url(),
}))
"""

# --- The locust side (this file is also the locustfile) --------------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

try:
    from locust import HttpUser, between, task
except ImportError:  # the driver below explains what to install
    HttpUser = object

    def task(function):
        return function

    def between(*_):
        return None


if HttpUser is not object and os.environ.get("BENCH_PEOPLE_FILE"):
    PEOPLE = json.loads(Path(os.environ["BENCH_PEOPLE_FILE"]).read_text())

    def _sign_in(client, person: dict, *, name: str = "sign in (set-up)") -> None:
        from django_otp.oath import totp

        page = client.get("/accounts/login/", name=f"{name}: form")
        response = client.post(
            "/accounts/login/",
            {
                "username": person["username"],
                "password": person["password"],
                "csrfmiddlewaretoken": CSRF.search(page.text)[1],
            },
            name=name,
        )
        if "key" in person and "/two-factor/" in response.url:
            code = f"{totp(bytes.fromhex(person['key'])):06d}"
            client.post(
                "/accounts/two-factor/",
                {"code": code, "csrfmiddlewaretoken": CSRF.search(response.text)[1]},
                name=name,
            )

    class Page(HttpUser):
        abstract = True
        wait_time = between(0.2, 0.6)

        def _get(self, url: str, name: str) -> None:
            with self.client.get(url, name=name, catch_response=True) as response:
                if response.status_code == 404:
                    response.success()  # reported as "not built yet" in the table
                elif response.status_code != 200 or "/accounts/" in response.url:
                    response.failure(f"{response.status_code} at {response.url}")

    class Lead(Page):
        weight = 3

        def on_start(self):
            _sign_in(self.client, PEOPLE["lead"])

        @task
        def floor(self):
            self._get("/teams/", FLOOR)

        @task
        def team_home(self):
            self._get(f"/teams/{PEOPLE['team']}/home/", "team home")

        @task
        def checklist(self):
            self._get(PEOPLE["checklist"], f"biggest checklist ({PEOPLE['checklist_size']})")

        @task
        def answer(self):
            self._get(PEOPLE["answer"], "answer page")

        @task
        def todo(self):
            self._get("/todo/", "to-do")

    class Reviewer(Page):
        weight = 3

        def on_start(self):
            _sign_in(self.client, PEOPLE["reviewers"].pop())

        @task
        def floor(self):
            self._get("/teams/", FLOOR)

        @task
        def dashboard(self):
            self._get("/dashboard/", "reviewer dashboard")

        @task
        def queue(self):
            self._get("/review/", "review queue")

        @task
        def queue_by_severity(self):
            self._get("/review/?severity=high", "review queue, severity high")

        @task
        def queue_by_age(self):
            self._get("/review/?older_than_days=30", "review queue, waiting 30+ days")

        @task
        def catalog(self):
            self._get("/catalog/", "catalog")

    class Auditor(Page):
        weight = 1

        def on_start(self):
            _sign_in(self.client, PEOPLE["auditors"].pop())

        @task(3)
        def audit_list(self):
            self._get("/audit/", "audit list")

        @task
        def floor(self):
            self._get("/teams/", FLOOR)

    class SignIn(HttpUser):
        """Signs in afresh each time, as a lead (password only)."""

        weight = 1
        wait_time = between(0.5, 1)

        @task
        def login(self):
            self.client.cookies.clear()
            _sign_in(self.client, PEOPLE["lead"], name="login")  # the form, then the POST


# --- The driver ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rows(stats_csv: Path) -> list[dict]:
    with stats_csv.open() as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]


def _table(rows: list[dict], missing: set[str]) -> list[str]:
    by_name = {row["Name"]: row for row in rows if not row["Name"].startswith("sign in (set-up)")}
    floor = float(by_name[FLOOR]["95%"]) if FLOOR in by_name else None
    lines = [
        "| page | requests | failures | p50 ms | p95 ms | req/s | p95 / floor p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in sorted(by_name.items(), key=lambda item: -float(item[1]["95%"])):
        if name in missing:
            continue
        ratio = f"{float(row['95%']) / floor:.1f}" if floor else "-"
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} "
            f"| {row['95%']} | {float(row['Requests/s']):.2f} | {ratio} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=6, help="simulated people (default 6)")
    parser.add_argument("--seconds", type=int, default=120, help="length of the run (120)")
    options = parser.parse_args()
    for tool in ("gunicorn", "locust"):
        if not (VENV_BIN / tool).exists():
            print(f'{tool} is missing: .venv/bin/pip install -e ".[bench,production]"')
            return 2
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to the seeded PostgreSQL database (see the docstring).")
        return 2

    load_before = os.getloadavg()[0]
    scratch = Path(tempfile.mkdtemp(prefix="portal-pages-"))
    env = {
        **os.environ,
        "DEBUG": "true",
        "BENCH_PASSWORD": secrets.token_urlsafe(12),
        "BENCH_USERS": str(options.users),
        "BENCH_PEOPLE_FILE": str(scratch / "people.json"),
    }
    env.pop("CELERY_BROKER_URL", None)
    manage = (sys.executable, "manage.py")
    prepared = subprocess.run(
        [*manage, "shell", "-c", PREPARE], cwd=ROOT, env=env, text=True, capture_output=True
    )
    if prepared.returncode != 0:
        print(prepared.stderr[-2000:])
        return 1
    people = json.loads(prepared.stdout.strip().splitlines()[-1])
    (scratch / "people.json").write_text(json.dumps(people))

    port = _free_port()
    server_log = (scratch / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "portal.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
            f"--error-logfile={scratch / 'gunicorn.log'}",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        missing = set()
        for name, url in (
            ("reviewer dashboard", "/dashboard/"),
            ("team home", f"/teams/{people['team']}/home/"),
        ):
            if not _exists(port, url):
                missing.add(name)
        prefix = scratch / "locust"
        subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(Path(__file__).resolve()),
                "--headless",
                f"--users={options.users}",
                f"--spawn-rate={options.users}",
                f"--run-time={options.seconds}s",
                f"--host=http://127.0.0.1:{port}",
                f"--csv={prefix}",
                "--only-summary",
            ],
            cwd=ROOT,
            env=env,
            check=False,
            capture_output=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()

    rows = _rows(Path(f"{prefix}_stats.csv"))
    print(
        f"{options.users} users for {options.seconds} s; PostgreSQL; gunicorn 2 workers; "
        f"{os.cpu_count()} cores; load average before the run "
        f"{load_before:.1f} (other work on the machine slows every page alike)\n"
    )
    print("\n".join(_table(rows, missing)))
    for name in sorted(missing):
        print(f"\n{name}: answers 404 on this tree (not built yet); left out.")
    failures = sum(int(row["Failure Count"]) for row in rows)
    return 0 if failures == 0 else 1


def _exists(port: int, url: str) -> bool:
    """Whether the page exists: an anonymous request is sent to sign in, not to a 404."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"http://127.0.0.1:{port}{url}", timeout=30)  # noqa: S310 - loopback
    except urllib.error.HTTPError as answer:
        return answer.code != 404
    return True


if __name__ == "__main__":
    sys.exit(main())
