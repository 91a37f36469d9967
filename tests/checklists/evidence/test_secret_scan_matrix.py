"""The scanner against every credential kind in every format and wrapping it is likely to arrive in.

Each cell builds one small text file the way a merchant might paste or export it, then scans it
the way an upload is scanned. Secrets must be refused in every cell; harmless look-alikes
(placeholders, vault paths, hashes, UUIDs, commit ids, inline images) must pass in every cell.
"""

import base64
import csv
import io
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

import pytest

from checklists.evidence.scanning import TextScanner


@dataclass(frozen=True)
class Credential:
    id: str
    words: tuple[str, ...]  # the name it is kept under, word by word: ("db", "password")
    value: str
    header: str = ""  # the HTTP header it travels in, when not X-<Words>

    @property
    def snake(self) -> str:
        return "_".join(self.words)

    @property
    def screaming(self) -> str:
        return self.snake.upper()

    @property
    def camel(self) -> str:
        return self.words[0] + "".join(word.title() for word in self.words[1:])

    @property
    def pascal(self) -> str:
        return "".join(word.title() for word in self.words)

    @property
    def dotted(self) -> str:
        return ".".join(self.words)

    @property
    def header_name(self) -> str:
        return self.header or "X-" + "-".join(word.title() for word in self.words)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# Built at run time so this file does not itself look like it holds live credentials.
PEM = (
    "-----BEGIN "
    + "RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
    + "\\n-----END RSA PRIVATE KEY-----"
)
SECRETS = (
    Credential("aws-access-key", ("aws", "access", "key", "id"), "AKIA" + "Q3EGRT7XZPN4WLKD"),
    Credential(
        "aws-secret-key",
        ("aws", "secret", "access", "key"),
        "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzQ4m8Tq2Lr",
    ),
    Credential("stripe-live-key", ("stripe", "key"), "sk_" + "live_" + "51Hx9aQ2pLmN8rT4vW6yZ0bC"),
    Credential(
        "github-token", ("github", "token"), "ghp_" + "R8kz2mQ4vN6pX1tY3wA5bC7dE9fG0hJ2kL4m"
    ),
    Credential(
        "slack-token", ("slack", "bot", "token"), "xoxb-" + "302914827361-4820193746521-Qm2Xr8Tz"
    ),
    Credential(
        "jwt",
        ("session",),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ik1lcmNoYW50In0"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ),
    Credential(
        "wechat-app-secret", ("wechat", "app", "secret"), "9f8e7d6c5b4a3928" + "1706f5e4d3c2b1a0"
    ),
    Credential(
        "gopay-client-token", ("gopay", "client", "token"), "gpt_4Kx9Qm2Z" + "r7Lp3Wn8Tv5Yb1Hc6"
    ),
    Credential("password", ("db", "password"), "Tr0ub4dor&3x"),
    Credential(
        "merchant-signing-key",
        ("merchant", "signing", "key"),
        "q8Zr2LmN0pXa7Vb3Kc9W" + "d1Ye5Tf6Ug4Hh2Ij8Ok0Pl=",
    ),
    Credential("private-key", ("merchant", "private", "key"), PEM),
    Credential(
        "basic-auth", ("authorization",), _basic("kopi-kita", "Tr0ub4dor&3x"), "Authorization"
    ),
)


def _csv(*rows: list[str], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


FORMATS: dict[str, Callable[[Credential], str]] = {
    "assignment": lambda c: f"{c.snake} = {c.value}\n",
    "env file": lambda c: f"APP_ENV=production\n{c.screaming}={c.value}\n",
    "yaml": lambda c: f"payments:\n  merchant: kopi-kita\n  {c.snake}: {c.value}\n",
    "json": lambda c: json.dumps({"merchant": "kopi-kita", c.snake: c.value}) + "\n",
    "json in a json string": lambda c: (
        json.dumps({"id": 42, "config": json.dumps({c.snake: c.value})}) + "\n"
    ),
    "csv": lambda c: _csv(
        ["merchant", "credential", "value", "owner"],
        ["kopi-kita", c.snake, c.value, "payments-team"],
    ),
    "csv with doubled quotes": lambda c: _csv(
        ["id", "settings"], ["42", json.dumps({c.snake: c.value})]
    ),
    "tsv": lambda c: _csv(
        ["merchant", "credential", "value"], ["kopi-kita", c.snake, c.value], delimiter="\t"
    ),
    "xml element": lambda c: (
        f"<config>\n  <{c.camel}>{escape(c.value, quote=False)}</{c.camel}>\n</config>\n"
    ),
    "xml attribute": lambda c: f'<merchant id="kopi-kita" {c.camel}="{escape(c.value)}" />\n',
    "xml key and value attributes": lambda c: (
        f'<appSettings>\n  <add key="{c.pascal}" value="{escape(c.value)}" />\n</appSettings>\n'
    ),
    "ini": lambda c: f"[payments]\nmerchant = kopi-kita\n{c.snake} = {c.value}\n",
    "http header": lambda c: (
        f"POST /v1/charges HTTP/1.1\nHost: api.pay.example\n{c.header_name}: {c.value}\n"
    ),
    "curl": lambda c: (
        f"curl -s -H '{c.header_name}: {c.value}' https://api.pay.example/v1/charges\n"
    ),
    "url with credentials": lambda c: (
        f"endpoint: https://kopi-kita:{quote(c.value, safe='')}@api.pay.example/v1\n"
    ),
    "url query": lambda c: (
        f"GET https://api.pay.example/v1/charges?merchant=kopi-kita&{c.snake}="
        f"{quote(c.value, safe='')}\n"
    ),
    "markdown code block": lambda c: f"## Staging setup\n\n```yaml\n{c.snake}: {c.value}\n```\n",
    "markdown table": lambda c: f"| Setting | Value |\n|---|---|\n| {c.snake} | `{c.value}` |\n",
    "log line": lambda c: (
        f"2026-05-01T10:00:00Z DEBUG pay-client loaded {c.snake}={c.value} merchant=kopi-kita\n"
    ),
    "log of a header dict": lambda c: (
        f"2026-05-01 10:00:00,123 DEBUG pay.http headers={{'{c.header_name}': '{c.value}'}}\n"
    ),
    "python source": lambda c: f'import os\n\n{c.screaming} = "{c.value}"\n',
    "javascript source": lambda c: f"const {c.camel} = '{c.value}';\n",
    "shell export": lambda c: f'#!/bin/sh\nexport {c.screaming}="{c.value}"\n',
    "properties file": lambda c: f"pay.merchant=kopi-kita\npay.{c.dotted}={c.value}\n",
    "dockerfile env": lambda c: f"FROM python:3.11-slim\nENV {c.screaming} {c.value}\n",
    "kubernetes secret": lambda c: (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pay\ntype: Opaque\nstringData:\n"
        f"  {c.snake}: {c.value}\n"
    ),
    "kubernetes env entry": lambda c: (
        "containers:\n  - name: pay\n    env:\n"
        f'      - name: {c.screaming}\n        value: "{c.value}"\n'
    ),
    "kubernetes secret data": lambda c: (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pay\ntype: Opaque\ndata:\n"
        f"  {c.snake}: {base64.b64encode(c.value.encode()).decode()}\n"
    ),
    "html form": lambda c: (
        f'<form method="post">\n  <input type="hidden" name="{c.snake}" '
        f'value="{escape(c.value)}">\n</form>\n'
    ),
}

# Cells that are knowingly not refused, each with the reason (none at present). A listed cell
# is tested to behave as listed, so the list cannot go stale.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def scan(text: str, piece: int | None = None):
    scanner = TextScanner()
    piece = piece or len(text)
    for start in range(0, len(text), piece):
        finding = scanner.feed(text[start : start + piece])
        if finding is not None:
            return finding
    return scanner.finish()


def cells(items, formats=FORMATS):
    return [
        pytest.param(item, name, id=f"{item.id}-{name}")
        for item, name in itertools.product(items, formats)
    ]


@pytest.mark.parametrize("credential, format_name", cells(SECRETS))
def test_it_refuses_every_kind_of_secret_in_every_format(credential, format_name):
    text = FORMATS[format_name](credential)
    finding = scan(text)
    if (credential.id, format_name) in EXCEPTIONS:
        assert finding is None, EXCEPTIONS[credential.id, format_name]
        return
    assert finding is not None, text
    assert credential.value[8:] not in finding.message
    assert scan(text, piece=7) == finding  # the same when it streams in small pieces


# Names a secret is kept under, each with a value that only its name marks as a secret.
NAMES = (
    ("merchant", "key"),
    ("merchant", "signing", "key"),
    ("webhook", "signing", "key"),
    ("pay", "private", "key"),
    ("app", "secret"),
    ("client", "secret"),
    ("mch", "key"),
    ("api", "v3", "key"),
    ("hmac", "key"),
    ("api", "key"),
    ("secret", "key"),
    ("access", "token"),
    ("smtp", "password"),
    ("passphrase",),
)
NAMED = tuple(Credential("-".join(words), words, "Vb3Kc9Wd1Ye5Tf6Ug4Hh2Ij8") for words in NAMES)


@pytest.mark.parametrize("credential, format_name", cells(NAMED))
def test_it_refuses_a_value_kept_under_any_secret_name(credential, format_name):
    assert scan(FORMATS[format_name](credential)) is not None


PLACEHOLDERS = (
    Credential("angle-brackets", ("api", "key"), "<your-key>"),
    Credential("changeme", ("db", "password"), "changeme"),
    Credential("env-reference", ("client", "secret"), "${CLIENT_SECRET}"),
    Credential("xxxx", ("merchant", "signing", "key"), "xxxxxxxxxxxxxxxxxxxxxxxx"),
    Credential("vault-path", ("app", "secret"), "vault:secret/data/pay#key"),
    Credential("masked", ("password",), "********"),
    Credential("redacted", ("merchant", "private", "key"), "[REDACTED]"),
    Credential("template", ("access", "token"), "{{ access_token }}"),
    Credential("stripe-placeholder", ("stripe", "key"), "sk_" + "live_" + "x" * 24),
    Credential(
        "aws-documentation-key", ("aws", "access", "key", "id"), "AKIA" + "IOSFODNN7EXAMPLE"
    ),
    Credential("basic-placeholder", ("authorization",), "Basic <base64>", "Authorization"),
    Credential("basic-example", ("authorization",), _basic("user", "password"), "Authorization"),
)
LOOKALIKES = (
    Credential(
        "sha256",
        ("sha256",),
        "e3b0c44298fc1c149afbf4c8996fb924" + "27ae41e4649b934ca495991b7852b855",
    ),
    Credential("uuid", ("request", "id"), "4bf92f35-77b3-4da6-a3ce-929d0e0e4736"),
    Credential("commit", ("commit",), "3cf819b6a1d04e5f9c2b7a8e1d3f5c7b9a0e2d4f"),
    Credential("md5", ("checksum",), "9e107d9d372bb6826bd81d3542a419d6"),
    Credential(
        "inline-image",
        ("logo",),
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg==",
    ),
    Credential("version", ("release",), "v2026.05.1-rc3+build.7f3a9c2e"),
)
# Cells of the harmless matrix that are knowingly refused, each with the reason; tested to be.
HARMLESS_EXCEPTIONS: dict[tuple[str, str], str] = {}
for _lookalike in LOOKALIKES:
    HARMLESS_EXCEPTIONS[_lookalike.id, "url with credentials"] = (
        "whatever stands in a URL's password slot is a password"
    )
for _placeholder in ("basic-placeholder", "basic-example"):
    HARMLESS_EXCEPTIONS[_placeholder, "url with credentials"] = (
        "a whole Authorization header in a URL's password slot is read as a password"
    )


@pytest.mark.parametrize("credential, format_name", cells(PLACEHOLDERS + LOOKALIKES))
def test_it_accepts_placeholders_and_look_alikes_in_every_format(credential, format_name):
    text = FORMATS[format_name](credential)
    if (credential.id, format_name) in HARMLESS_EXCEPTIONS:
        assert scan(text) is not None, HARMLESS_EXCEPTIONS[credential.id, format_name]
        return
    assert scan(text) is None, text
