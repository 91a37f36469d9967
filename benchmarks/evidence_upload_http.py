#!/usr/bin/env python
"""End-to-end evidence upload: a 20 MB file POSTed to the real upload page of a running server.

    DEBUG=true .venv/bin/python benchmarks/evidence_upload_http.py [--megabytes 20]

Builds a scratch SQLite database in a temporary folder (catalog, a team, a member, a
checklist), starts `manage.py runserver` on a free loopback port, signs in, and streams a
multipart upload of a text log from disk (so the client never holds the file). It reports the
wall time of the request, the throughput, and the server process's peak resident memory
(VmHWM) before and after, as JSON. Everything the upload does runs: Django's multipart parsing
and temporary upload file, the type check, the secret scan, SHA-256, encryption, the database
rows and the audit event.
"""

import argparse
import http.client
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
MB = 1024 * 1024
LOG_LINE = (
    b"2024-05-01T10:00:00Z INFO pay-api path=/v1/charges status=201 took_ms=84 merchant=kopi\n"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


class Session:
    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
        response = connection.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, text

    def csrf(self) -> str:
        return self.cookies["csrftoken"]


def _multipart(path: Path, fields: dict[str, str], boundary: str):
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="{path.name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)

    def chunks():
        yield head
        with path.open("rb") as source:
            while piece := source.read(MB):
                yield piece
        yield tail

    return chunks(), length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20)
    size = parser.parse_args().megabytes * MB
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        env = {
            **os.environ,
            "DEBUG": "true",
            "PORTAL_DATA_DIR": str(folder / "data"),
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "EVIDENCE_MAX_BYTES": str(size + MB),
        }
        password = secrets.token_urlsafe(16)
        _manage(env, "migrate", "--no-input")
        _manage(env, "load_catalog")
        _manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from checklists.models import Provider\n"
            "from checklists.services.checklists import checklist_create\n"
            "from portal.accounts import services\n"
            f"user = get_user_model().objects.create_user('bench', password='{password}')\n"
            "team = services.team_create(name='Bench', slug='bench')\n"
            "services.membership_add(team=team, user=user, role='lead')\n"
            "checklist_create(team=team, period='2026-Q4',"
            " providers=list(Provider.objects.filter(slug='gopay')), by=user)\n",
        )
        log = folder / "access.log"
        with log.open("wb") as out:
            while out.tell() + len(LOG_LINE) <= size:
                out.write(LOG_LINE)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            session = Session(port)
            for _ in range(100):
                try:
                    session.request("GET", "/accounts/login/")
                    break
                except OSError:
                    time.sleep(0.1)
            form = f"csrfmiddlewaretoken={session.csrf()}&username=bench&password={password}"
            session.request(
                "POST",
                "/accounts/login/",
                form,
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            page = "/teams/bench/checklists/2026-Q4/GOPAY-1.1/"
            session.request("GET", page)
            before = _peak_rss_mb(server.pid)
            boundary = secrets.token_hex(16)
            body, length = _multipart(
                log,
                {
                    "csrfmiddlewaretoken": session.csrf(),
                    "description": "Log",
                    "expected_version": "0",
                },
                boundary,
            )
            started = time.perf_counter()
            status, _ = session.request(
                "POST",
                page + "evidence/upload",
                body,
                {
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Content-Length": str(length),
                    "X-CSRFToken": session.csrf(),
                    "Referer": f"http://127.0.0.1:{port}{page}",
                },
            )
            seconds = time.perf_counter() - started
            _, after_page = session.request("GET", page)
            stored = "access.log uploaded (SHA-256" in after_page
            print(
                json.dumps(
                    {
                        "bytes": log.stat().st_size,
                        "status": status,
                        "stored": stored,
                        "seconds": round(seconds, 3),
                        "mb_per_s": round(log.stat().st_size / MB / seconds, 1),
                        "server_peak_rss_mb_before": round(before, 1),
                        "server_peak_rss_mb_after": round(_peak_rss_mb(server.pid), 1),
                    },
                    indent=2,
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
