#!/usr/bin/env python
"""One 20 MB evidence file uploaded through the API and through the answer page's form, against
the same running portal (gunicorn, 2 workers, PostgreSQL): seconds and MB/s of each, 5 runs.

    .venv/bin/pip install -e ".[production]"          # gunicorn
    createdb -h 127.0.0.1 -U postgres portal_uploads  # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_uploads \\
        .venv/bin/python benchmarks/uploads.py [--megabytes 20] [--runs 5]

It migrates the database and loads the catalog (both idempotent), then makes a team of its own
(`bench-uploads`) with a member whose password it sets, a checklist for this quarter and an
evidence-write API token of that member. The portal runs under gunicorn (2 workers, loopback
only) with evidence kept in a temporary folder. Each run uploads the same text file (log lines,
so the secret scan reads every line) to the same answer, once as `POST /api/v1/…/evidence/`
with the token, once as the form on the answer's page (signed-in session, CSRF token,
expected version), alternating so both meet the same machine. The client streams the file
from disk. Both paths do the same work on the server: multipart parsing into the sealed spool,
type check, secret scan, SHA-256, encryption, the rows and the audit event; the API also
records the token's use. A 20 MB file is exactly EVIDENCE_MAX_BYTES (20 MiB by default), which
is accepted; a larger --megabytes raises the limit for the server it starts.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evidence_upload_http import Session  # the same cookie-keeping HTTP client

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MB = 1024 * 1024
LOG_LINE = (
    b"2026-10-01T10:00:00Z INFO pay-api path=/v1/charges status=201 took_ms=84 merchant=kopi\n"
)
REF = "GOPAY-1.2"

PREPARE = """
import json, os
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from checklists.models import Checklist, Provider
from checklists.periods import Quarter
from checklists.services.checklists import checklist_create
from portal.accounts import services
from portal.accounts.models import Role, Team
from portal.api.models import ApiToken
from portal.api.tokens import token_create, token_revoke

team = Team.objects.filter(slug="bench-uploads").first() or services.team_create(
    name="Bench uploads", slug="bench-uploads"
)
User = get_user_model()
person = User.objects.filter(username="bench-uploader").first()
if person is None:
    person = User.objects.create_user("bench-uploader", email="bench-uploader@example.com")
    services.membership_add(team=team, user=person, role=Role.LEAD)
person.set_password(os.environ["BENCH_PASSWORD"])
person.save(update_fields=["password"])
period = str(Quarter.current())
if not Checklist.objects.filter(team=team, period=period).exists():
    checklist_create(
        team=team, period=period, providers=list(Provider.objects.filter(slug="gopay")), by=person
    )
for old in ApiToken.objects.filter(team=team, name="Upload benchmark", revoked_at=None):
    token_revoke(token=old, by=person)
_, plaintext = token_create(
    team=team, name="Upload benchmark", scope="evidence-write",
    expires_on=timezone.localdate() + timedelta(days=1), by=person,
)
print(json.dumps({"team": team.slug, "period": period, "username": person.username,
                  "token": plaintext}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _multipart(path: Path, fields: dict[str, str], file_field: str):
    boundary = secrets.token_hex(16)
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{path.name}"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks():
        yield head
        with path.open("rb") as source:
            while piece := source.read(MB):
                yield piece
        yield tail

    length = len(head) + path.stat().st_size + len(tail)
    return chunks(), length, f"multipart/form-data; boundary={boundary}"


def _timed(client: Session, path: str, body, headers: dict) -> tuple[int, float, str]:
    started = time.perf_counter()
    status, text = client.request("POST", path, body, headers)
    return status, time.perf_counter() - started, text


def upload_through_api(port: int, people: dict, log: Path) -> float:
    path = f"/api/v1/teams/{people['team']}/checklists/{people['period']}/answers/{REF}/evidence/"
    body, length, content_type = _multipart(log, {"description": "Access log"}, "file")
    status, seconds, text = _timed(
        Session(port),
        path,
        body,
        {
            "Authorization": f"Bearer {people['token']}",
            "Content-Type": content_type,
            "Content-Length": str(length),
        },
    )
    if status != 201:
        raise RuntimeError(f"the API answered {status}: {text[:300]}")
    return seconds


def sign_in(port: int, people: dict, password: str) -> Session:
    client = Session(port)
    client.request("GET", "/accounts/login/")
    form = (
        f"csrfmiddlewaretoken={client.cookies['csrftoken']}&username={people['username']}"
        f"&password={password}"
    )
    status, _ = client.request(
        "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 302:
        raise RuntimeError(f"signing in answered {status}")
    return client


def upload_through_page(port: int, client: Session, people: dict, log: Path) -> float:
    page = f"/teams/{people['team']}/checklists/{people['period']}/{REF}/"
    _, html = client.request("GET", page)
    version = re.search(r'name="expected_version" value="(\d+)"', html)[1]
    csrf = client.cookies["csrftoken"]
    fields = {"csrfmiddlewaretoken": csrf, "description": "Access log", "expected_version": version}
    body, length, content_type = _multipart(log, fields, "upload")
    status, seconds, text = _timed(
        client,
        page + "evidence/upload",
        body,
        {
            "Content-Type": content_type,
            "Content-Length": str(length),
            "X-CSRFToken": csrf,
            "Referer": f"http://127.0.0.1:{port}{page}",
        },
    )
    if status != 302:  # the page redirects back to the answer once the file is kept
        raise RuntimeError(f"the upload form answered {status}: {text[:300]}")
    return seconds


def _row(name: str, seconds: list[float], size: int) -> str:
    median = statistics.median(seconds)
    rates = [size / MB / s for s in seconds]
    return (
        f"| {name} | {len(seconds)} | {median:.2f} | {min(seconds):.2f} | {max(seconds):.2f} "
        f"| {statistics.median(rates):.1f} | {min(rates):.1f}–{max(rates):.1f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=20, help="file size in MiB (20)")
    parser.add_argument("--runs", type=int, default=5, help="uploads through each path (5)")
    options = parser.parse_args()
    if not (VENV_BIN / "gunicorn").exists():
        print('gunicorn is missing: .venv/bin/pip install -e ".[production]"')
        return 2
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database (see the docstring).")
        return 2

    size = options.megabytes * MB
    scratch = Path(tempfile.mkdtemp(prefix="portal-uploads-"))
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "DEBUG": "true",
        "BENCH_PASSWORD": password,
        "EVIDENCE_ROOT": str(scratch / "evidence"),
        "EVIDENCE_SPOOL_DIR": str(scratch / "spool"),
    }
    if size > 20 * MB:
        env["EVIDENCE_MAX_BYTES"] = str(size)
    env.pop("CELERY_BROKER_URL", None)
    manage = (sys.executable, "manage.py")
    for step in (("migrate", "--no-input"), ("load_catalog",)):
        subprocess.run([*manage, *step], cwd=ROOT, env=env, check=True, capture_output=True)
    prepared = subprocess.run(
        [*manage, "shell", "-c", PREPARE], cwd=ROOT, env=env, text=True, capture_output=True
    )
    if prepared.returncode != 0:
        print(prepared.stderr[-2000:])
        return 1
    people = json.loads(prepared.stdout.strip().splitlines()[-1])

    log = scratch / "access.log"
    with log.open("wb") as out:
        while out.tell() + len(LOG_LINE) <= size:
            out.write(LOG_LINE)
        out.write(b"#" * (size - out.tell() - 1) + b"\n")

    port = _free_port()
    server_log = (scratch / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "portal.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    load_before = os.getloadavg()[0]
    timings: dict[str, list[float]] = {"API (token)": [], "answer page (form)": []}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        browser = sign_in(port, people, password)
        upload_through_api(port, people, log)  # warm both workers' imports and connections
        upload_through_page(port, browser, people, log)
        for _ in range(options.runs):
            timings["API (token)"].append(upload_through_api(port, people, log))
            timings["answer page (form)"].append(upload_through_page(port, browser, people, log))
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"{log.name}: {size:,} bytes of text; PostgreSQL; gunicorn 2 workers; {os.cpu_count()} "
        f"cores; load average before the runs {load_before:.1f}\n"
    )
    print("| path | runs | median s | min s | max s | median MB/s | MB/s range |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, seconds in timings.items():
        print(_row(name, seconds, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
