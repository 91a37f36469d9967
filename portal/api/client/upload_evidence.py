#!/usr/bin/env python3
"""Upload a file as evidence to one control of a team's checklist, from a CI pipeline.

    export PORTAL_API_TOKEN=cpt_...          # an evidence-write token of the team (a CI secret)
    python3 upload_evidence.py --url https://portal.example.com --team kopi-kita-miniapp \\
        --period 2026-Q4 --control GOPAY-1.2 --file zap-report.pdf \\
        --description "ZAP baseline scan of the payment API" --valid-until 2026-12-31

Python 3.9 or later, standard library only: download it from the portal
(`<portal>/api/client/upload_evidence.py`) or keep a copy in the repository.

The token is read from the environment (PORTAL_API_TOKEN, or the variable --token-env names),
never from the command line, so it stays out of CI logs and process lists.

The portal checks the file as it checks one uploaded on the answer's page: its type is read
from its content, its size is limited, text is scanned for live credentials. On success this
prints one line (the file, its SHA-256, the answer's version and review state) and exits 0.
Otherwise it prints the portal's reason and exits:

    1  the portal refused the evidence (a secret found in it, a type or size it does not
       take, a validity period that ends before it starts, the answer changed meanwhile)
    2  wrong usage (an option missing or malformed, no token, the file unreadable)
    3  the token or the address: unknown, expired or revoked token (401), a read-only token
       or not allowed (403), no such team, period or control for this token (404)
    4  too many requests (429); the message says when to try again
    5  the portal could not be reached, or failed (5xx)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import mimetypes
import os
import secrets
import ssl
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

DEFAULT_TOKEN_ENV = "PORTAL_API_TOKEN"  # noqa: S105 (a variable's name, not a secret)
CHUNK = 1024 * 1024

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_ACCESS, EXIT_THROTTLED, EXIT_FAILED = range(6)


class Usage(Exception):
    """A problem with how the script was called; nothing was sent."""


def _date(text: str) -> str:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-31") from None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Upload a file as evidence to a control of a team's checklist.",
        epilog=f"The API token is read from ${DEFAULT_TOKEN_ENV} (see --token-env).",
    )
    parser.add_argument("--url", required=True, help="the portal's address, https://…")
    parser.add_argument("--team", required=True, help="the team's slug, as in its address")
    parser.add_argument("--period", required=True, help="the checklist's quarter, e.g. 2026-Q4")
    parser.add_argument("--control", required=True, help="the control's reference, e.g. GOPAY-1.2")
    parser.add_argument("--file", required=True, type=Path, help="the file to upload")
    parser.add_argument(
        "--description", help="what the file shows, in a sentence (default: its name and the run)"
    )
    parser.add_argument("--valid-from", type=_date, help="first day the evidence holds")
    parser.add_argument("--valid-until", type=_date, help="last day the evidence holds")
    parser.add_argument(
        "--token-env",
        default=DEFAULT_TOKEN_ENV,
        help=f"the environment variable holding the token (default {DEFAULT_TOKEN_ENV})",
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds (default 300)")
    return parser.parse_args(argv)


def default_description(path: Path) -> str:
    """The file's name and, when the CI says so, the pipeline run that uploaded it."""
    run = next(
        (
            os.environ[name]
            for name in ("CI_PIPELINE_URL", "BUILD_URL", "GITHUB_RUN_ID", "CI_PIPELINE_ID")
            if os.environ.get(name)
        ),
        "",
    )
    return f"{path.name}, uploaded by a pipeline" + (f" ({run})" if run else "")


def _field(boundary: str, name: str, value: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


def multipart(path: Path, fields: dict[str, str]) -> tuple[str, int, object]:
    """(content type, length, body): the fields, then the file read from disk in chunks."""
    boundary = "upload-" + secrets.token_hex(16)
    head = b"".join(_field(boundary, name, value) for name, value in fields.items() if value)
    filename = path.name.replace("\\", "_").replace('"', "_").replace("\r", "").replace("\n", "")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)

    def chunks():
        yield head
        with path.open("rb") as source:
            while piece := source.read(CHUNK):
                yield piece
        yield tail

    return f"multipart/form-data; boundary={boundary}", length, chunks()


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Usage(f"--url must be the portal's address, like https://portal.example.com: {url!r}")
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    return connection, parts.path.rstrip("/")


def upload_path(base: str, team: str, period: str, control: str) -> str:
    names = (quote(part, safe="") for part in (team, period, control))
    return "{}/api/v1/teams/{}/checklists/{}/answers/{}/evidence/".format(base, *names)


def send(args: argparse.Namespace, token: str) -> tuple[int, dict[str, str], bytes]:
    """POST the upload; (status, headers, body) of the portal's answer."""
    path = args.file
    if not path.is_file() or not os.access(path, os.R_OK):
        raise Usage(f"{path} is not a readable file")
    fields = {
        "description": args.description or default_description(path),
        "valid_from": args.valid_from or "",
        "valid_until": args.valid_until or "",
    }
    content_type, length, body = multipart(path, fields)
    connection, base = _connection(args.url, args.timeout)
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "Content-Type": content_type,
        "Content-Length": str(length),
        "User-Agent": "portal-upload-evidence/1",
    }
    try:
        # The portal may answer before reading the whole file (too large, not allowed) and
        # close the connection: its answer is then waiting to be read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request(
                "POST", upload_path(base, args.team, args.period, args.control), body, headers
            )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def portal_message(status: int, headers: dict[str, str], body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return text[:300] or http.client.responses.get(status, "no message")
    if isinstance(answer, dict) and answer.get("detail"):
        return str(answer["detail"])
    return json.dumps(answer)[:300]


def exit_code(status: int) -> int:
    if status in (401, 403, 404):
        return EXIT_ACCESS
    if status == 429:
        return EXIT_THROTTLED
    if 400 <= status < 500:
        return EXIT_REFUSED
    return EXIT_FAILED


def summary(args: argparse.Namespace, answer: dict) -> str:
    evidence, state = answer["evidence"], answer["answer"]
    line = (
        f"Uploaded {evidence['name']} ({evidence['size']:,} bytes, SHA-256 {evidence['sha256']}) "
        f"to {state['ref']} of {args.team} {args.period}: answer version {state['version']}, "
        f"{state['review_state']}"
    )
    if state.get("approval_withdrawn"):
        line += " (its approval was withdrawn: it needs review again)"
    return line + "."


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    token = os.environ.get(args.token_env, "").strip()
    try:
        if not token:
            raise Usage(f"No API token: set the environment variable {args.token_env}.")
        status, headers, body = send(args, token)
    except Usage as problem:
        print(f"upload_evidence: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, http.client.HTTPException) as problem:
        print(f"upload_evidence: cannot reach {args.url}: {problem}", file=sys.stderr)
        return EXIT_FAILED
    if status == 201:
        print(summary(args, json.loads(body)))
        return EXIT_OK
    if 300 <= status < 400:
        message = f"the portal redirects to {headers.get('Location', '?')}; give that as --url"
    else:
        message = portal_message(status, headers, body)
        if status == 429 and headers.get("Retry-After"):
            message += f" (Retry-After: {headers['Retry-After']} s)"
    print(f"upload_evidence: refused ({status}): {message}", file=sys.stderr)
    return exit_code(status) if status >= 400 else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
