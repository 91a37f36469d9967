"""Refuses evidence that holds live credentials, scanning text as it streams in.

Two sets of detectors run over each block of complete lines:

- ours (first, so their wording is stable): private keys, AWS keys, Stripe live keys, GitHub
  and Slack tokens, JWTs, WeChat AppSecret/App Key and GoPay token assignments, bearer tokens,
  Basic auth credentials, credentials laid out as table or CSV rows, passwords in URLs, and
  values kept under a secret's name (api_key, client_secret, MERCHANT_KEY, signingKey,
  pay.private.key, db_password, token...) that are not placeholders;
- detect-secrets' regex plugins for other providers' key formats. Its high-entropy, keyword,
  public-IP and basic-auth plugins are left out: hashes, IP addresses and placeholder
  passwords are normal in evidence, and our own assignment and URL rules filter placeholders.
  Plugins are called through `analyze_string`, so nothing is ever sent for verification.

A value under a secret's name is found in the shapes evidence comes in: `name = value` and its
kin (env files, YAML, INI, properties, HTTP headers, shell exports, source code), JSON also when
nested in a JSON string (escaped quotes) or a CSV cell (doubled quotes), CSV/TSV/Markdown
table cells, XML elements and attributes, key/value attribute pairs (.NET appSettings, HTML
inputs, Postman variables), Dockerfile `ENV NAME value`, URL query strings, a Kubernetes env
entry (`- name: DB_PASSWORD` with `value:` on the next line), and base64 YAML values such as a
Kubernetes Secret's `data:`, which are decoded and scanned again. Other values on a line of
their own below their name (YAML block scalars, XML elements split over lines) are not found,
unless their own shape gives them away (a private key, a provider's token).

Placeholders pass wherever they stand: `<your-key>`, `${VAR}`, `changeme`, `xxxx`, masks,
templates, YAML tags (`!vault`), vault paths (`vault:secret/data/pay#key`, also URL-encoded),
algorithm names (`HMAC-SHA256`), documentation keys (`AKIA...EXAMPLE`, `sk_live_xxxx...`) and
base64 of any of these.

A finding carries the line number and the kind of secret, never the secret itself.
"""

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

# A long line is scanned in pieces of this many characters, overlapping by _OVERLAP so a
# secret that straddles two pieces is still seen whole.
_LONG_LINE = 256 * 1024
_OVERLAP = 4096

# Quotes around a name or value: plain, escaped once or more (JSON inside a JSON string) or
# doubled (JSON inside a CSV cell).
_QUOTES = r"""(?:""|''|\\{0,3}["'`])?"""
_ASSIGN = rf"{_QUOTES}[ \t]*(?:=|:=|:|=>)[ \t]*"
_SEP = r"[_.-]?"
# Names a secret is kept under, lowered, in any spelling: api_key, API-KEY, apiKey, api.key.
# Spelled as a tree (a(pi|ccess|pp)...), which the regex engine tries several times faster
# than a flat list of names.
_SECRET_NAME = (
    rf"(?:a(?:pi{_SEP}(?:v3{_SEP})?key|ccess{_SEP}key|pp{_SEP}key)|"
    rf"s(?:ecret(?:{_SEP}key)?|ign(?:ing|ature)?{_SEP}key)|"
    rf"p(?:ass(?:w(?:or)?d|phrase)|rivate{_SEP}key|wd)|"
    rf"hmac{_SEP}key|m(?:erchant|ch){_SEP}key|token)"
)
_PLACEHOLDER_WORDS = (
    "example",
    "placeholder",
    "redacted",
    "changeme",
    "change_me",
    "dummy",
    "sample",
    "your_",
    "your-",
    "xxxx",
    "****",
    "....",
)
# Words that stand where a value would: "password": "required", {"value": "string"}.
_NOT_VALUES = frozenset(
    ("true", "false", "null", "none", "required", "optional", "undefined", "string", "hidden")
    + ("masked", "password", "secret", "token")
)
# An algorithm's name, which says how a key is made, not what it is: HMAC-SHA256, RSA-2048.
_ALGORITHM = re.compile(
    r"(?:hmac|sha|rsa|aes|ecdsa|ed25519|md5|bcrypt|argon2(?:id|i|d)?|pbkdf2|gcm|cbc|[hre]s)\d*"
)


@dataclass(frozen=True)
class Finding:
    line: int
    kind: str

    @property
    def message(self) -> str:
        return (
            f"line {self.line} looks like {self.kind}; remove it and upload again — "
            "the portal must never hold live credentials"
        )


def _is_placeholder(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _PLACEHOLDER_WORDS)


def _is_algorithm(lowered: str) -> bool:
    parts = re.split(r"[-_/]", lowered)
    named = [part for part in parts if _ALGORITHM.fullmatch(part)]
    return bool(named) and all(part in named or part.isdigit() for part in parts)


_LINE_BREAKS = str.maketrans("", "", "\r\n\t")  # a PEM file decodes to several lines


def _base64_text(value: str) -> str | None:
    """The printable text that `value` is the padded base64 of, or None.

    Short values are left alone: one random 8-character password in a few hundred decodes to
    printable bytes, against about one in a million for 12 characters.
    """
    if len(value) < 12 or len(value) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value):
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded if decoded.translate(_LINE_BREAKS).isprintable() else None


def _is_real_value(value: str, *, quoted: bool) -> bool:
    """False for empty, templated, masked, example or code-reference values."""
    value = value.strip().rstrip(",;\\")
    if re.search(r"%[0-9A-Fa-f]{2}", value[1:]):
        value = unquote(value)  # from a URL: vault%3Asecret%2F... reads as vault:secret/...
    lowered = value.lower()
    if len(value) < 6 or len(set(value)) <= 2:
        return False
    if value[0] in "<{[($%*#.!" or "{{" in value:
        return False  # a template, reference, mask, comment, code or YAML tag (!vault)
    if _is_placeholder(value):
        return False
    decoded = _base64_text(value)
    if decoded is not None:
        # Base64 of text, as in a Kubernetes Secret's data: judged by what it says. Random
        # keys and passwords almost never decode to printable text.
        return _is_real_value(decoded, quoted=True)
    if lowered in _NOT_VALUES or _is_algorithm(lowered):
        return False
    if re.fullmatch(
        r"(?:[a-z][a-z0-9+.-]*:)?[a-z0-9_.-]+(?:/[a-z0-9_.-]+)+(?:#[a-z0-9_.-]+)?", value
    ):
        return False  # a lower-case path names where a secret is kept: vault:secret/data/pay#key
    if quoted:
        return True
    # Unquoted: words without digits read as prose ("Password: required"), and dotted names or
    # subscripts or calls as code (settings.DB_PASSWORD, os.environ[...], getenv(...)).
    return not (
        re.fullmatch(r"[A-Za-z_.\-]+", value)
        or re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z_][\w.]*[\[(].*", value)
    )


def _is_real_unquoted(value: str) -> bool:
    return _is_real_value(value, quoted=False)


def _looks_random(value: str) -> bool:
    """A real value that also mixes letters and digits, in both cases or at length.

    For a value that only its position marks as a secret (a table cell, `ENV NAME value`),
    where ordinary words and settings such as `bcrypt-12` also stand.
    """
    value = value.strip()
    if not _is_real_value(value, quoted=False):
        return False
    letters = [char for char in value if char.isalpha()]
    if not letters or not any(char.isdigit() for char in value):
        return False
    mixed_case = any(char.isupper() for char in letters) and any(char.islower() for char in letters)
    return mixed_case or len(value) >= 16


def _is_basic_credential(value: str) -> bool:
    """True when `value` is base64 of `user:password` with a real password."""
    try:
        value = value.rstrip("=")  # padding may be lost to URL encoding (%3D)
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, colon, password = decoded.partition(":")
    return bool(user and colon and decoded.isprintable()) and _is_real_unquoted(password)


_ASCII_LOWER = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
)  # keeps every offset, unlike str.lower()

Check = Callable[[str], bool]


def _lines_holding(text: str, hints: tuple[str, ...]) -> list[tuple[int, int]]:
    """The runs of lines in `text` that hold one of `hints`, as sorted (start, end) offsets."""
    if sum(text.count(hint) for hint in hints) * 1024 > len(text):
        return [(0, len(text))]  # found all over: one pass over everything is cheaper
    spans = []
    for hint in hints:
        at = text.find(hint)
        while at != -1:
            end = text.find("\n", at)
            end = len(text) if end == -1 else end
            spans.append((text.rfind("\n", 0, at) + 1, end))
            at = text.find(hint, end)
    runs: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if runs and start <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(end, runs[-1][1]))
        else:
            runs.append((start, end))
    return runs


class _Rule:
    """A regex, optionally matched on the ASCII-lowered block (far faster than (?i)).

    Without `check`, a match is a finding unless its text is a placeholder (sk_live_xxxx...,
    AKIA...EXAMPLE). With `check`, the pattern's "value" group, taken from the original block,
    must pass it; `value=True` checks it with `_is_real_value`, quoted when the pattern's
    "quote" group matched. With `hints`, the regex only runs over lines that hold one of these
    literals, which keeps patterns without a literal prefix from slowing the scan.
    """

    def __init__(
        self,
        kind: str,
        pattern: str,
        *,
        lowered: bool = False,
        value: bool = False,
        check: Check | None = None,
        hints: tuple[str, ...] = (),
    ) -> None:
        self.kind = kind
        self.regex = re.compile(pattern)
        self.lowered = lowered
        self.value = value or check is not None
        self.check = check
        self.hints = hints

    def first(self, block: str, lowered: str) -> int | None:
        text = lowered if self.lowered else block
        runs = _lines_holding(text, self.hints) if self.hints else [(0, len(text))]
        for start, end in runs:
            for match in self.regex.finditer(text, start, end):
                if self._is_finding(match, block):
                    return match.start()
        return None

    def _is_finding(self, match: re.Match[str], block: str) -> bool:
        if not self.value:
            return not _is_placeholder(match.group())
        start, end = match.span("value")
        if self.check is not None:
            return self.check(block[start:end])
        return _is_real_value(block[start:end], quoted=bool(match.groupdict().get("quote")))


_NAME_HINTS = ("key", "secret", "passw", "pwd", "passphrase", "token")


_RULES = (
    _Rule("a private key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"),
    _Rule("an AWS access key", r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"),
    _Rule(
        "an AWS secret access key",
        rf"aws{_SEP}secret{_SEP}access{_SEP}key{_ASSIGN}(?P<quote>{_QUOTES})"
        r"(?P<value>[a-z0-9/+]{40})\b",
        lowered=True,
        value=True,
        hints=("aws",),
    ),
    _Rule("a Stripe live secret key", r"(?:sk|rk)_live_[0-9A-Za-z]{16,}"),
    _Rule("a GitHub token", r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    _Rule("a Slack token", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    _Rule("an API token of this portal", r"cpt_[a-z0-9]{8}_[A-Za-z0-9]{40}(?![A-Za-z0-9])"),
    _Rule("a Slack webhook URL", r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/"),
    _Rule("a JSON Web Token", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
    _Rule(
        "a WeChat AppSecret or App Key",
        rf"app{_SEP}(?:secret|key){_ASSIGN}{_QUOTES}[0-9a-f]{{32}}(?![0-9a-z])",
        lowered=True,
    ),
    _Rule(
        "a GoPay token",
        rf"(?:client|user|gopay){_SEP}token{_ASSIGN}(?P<quote>{_QUOTES})"
        r"(?P<value>[a-z0-9._~+/=-]{20,})",
        lowered=True,
        value=True,
        hints=("token",),
    ),
    _Rule(
        "a bearer token",
        r"bearer[ \t]+(?P<value>[a-z0-9._~+/-]{20,}=*)",
        lowered=True,
        value=True,
        hints=("bearer",),
    ),
    _Rule(
        # Authorization: Basic base64(user:password), also URL- or form-encoded.
        "a basic auth credential",
        r"basic(?:[ \t]+|%20|\+)(?P<value>[a-z0-9+/]{8,}={0,2})(?![a-z0-9+/=])",
        lowered=True,
        check=_is_basic_credential,
        hints=("basic",),
    ),
    _Rule(
        # A credential laid out as a table, CSV or list row: its name, then its value.
        "a credential in a table or list",
        r"(?:a(?:pp_?(?:secret|key)|pi_?key|ccess_?token)|client_?(?:secret|token)|user_?token|"
        r"secret_?key|gopay_?token)[\"'`]?[ \t]*[,|;\t ][ \t,|;\"'`]*"
        r"(?P<value>[a-z0-9._~+/=-]{16,})",
        lowered=True,
        value=True,
        hints=_NAME_HINTS,
    ),
    _Rule(
        # The same with any secret's name, in a cell of its own: CSV, TSV, Markdown tables. The
        # value fills its cell, which a call's argument list (private_key, Asn1Value) does not.
        "a credential in a table or list",
        rf"{_SECRET_NAME}{_QUOTES}[ \t]*[,|;\t][ \t,|;\"'`]*"
        r"(?P<value>[^\s,|;\"'`<>\\()\[\]{}=]{8,}={0,2})(?![^\s,|;\"'`])",
        lowered=True,
        check=_looks_random,
        hints=_NAME_HINTS,
    ),
    _Rule(
        "a password in a URL",
        r"://[^\s:/?#@\"'<>]+:(?P<value>[^\s/?#@\"'<>]+)@",
        value=True,
        hints=("://",),
    ),
    _Rule(
        "an API key, secret or password assignment",
        rf"{_SECRET_NAME}{_ASSIGN}(?P<quote>{_QUOTES})(?P<value>[^\s\"'`,;&<>\\]+)",
        lowered=True,
        value=True,
        hints=_NAME_HINTS,
    ),
    _Rule(
        # <password>...</password>, <ns:apiKey id="1">...</ns:apiKey>
        "an API key, secret or password assignment",
        rf"<[\w.:-]*?{_SECRET_NAME}(?:[ \t][^<>\n]*)?>[ \t]*(?P<value>[^<\s]+)[ \t]*</",
        lowered=True,
        check=_is_real_unquoted,
        hints=("</",),
    ),
    _Rule(
        # A name and a value as two fields: <add key="ApiKey" value="..."/>, an HTML input,
        # a Postman variable {"key": "api_key", "value": "..."}.
        "an API key, secret or password assignment",
        rf"(?:key|name|id){_ASSIGN}{_QUOTES}[\w.:-]*?{_SECRET_NAME}{_QUOTES}"
        rf"[^<>{{}}\n]{{0,80}}?\bvalue{_ASSIGN}(?P<quote>{_QUOTES})(?P<value>[^\s\"'`<>\\]+)",
        lowered=True,
        value=True,
        hints=("value=", "value =", 'value"', "value'", "value:", "value\\"),
    ),
    _Rule(
        # A Kubernetes container's env entry: `- name: DB_PASSWORD` and `value: ...` below it.
        "an API key, secret or password assignment",
        rf"name:[ \t]*{_QUOTES}[\w.-]*?{_SECRET_NAME}{_QUOTES}[ \t]*\r?\n[ \t]*value:[ \t]*"
        rf"(?P<quote>{_QUOTES})(?P<value>[^\s\"'`]+)",
        lowered=True,
        value=True,
    ),
    _Rule(
        # Dockerfile: ENV DB_PASSWORD value
        "an API key, secret or password assignment",
        rf"(?m)^[ \t]*env[ \t]+[\w.-]*?{_SECRET_NAME}[ \t]+{_QUOTES}(?P<value>[^\s\"'`]+)",
        lowered=True,
        check=_looks_random,
        hints=("env ", "env\t"),
    ),
)

_PLUGINS: tuple[RegexBasedDetector, ...] = (
    PrivateKeyDetector(),
    AWSKeyDetector(),
    StripeDetector(),
    GitHubTokenDetector(),
    GitLabTokenDetector(),
    SlackDetector(),
    JwtTokenDetector(),
    AzureStorageKeyDetector(),
    DiscordBotTokenDetector(),
    MailchimpDetector(),
    NpmDetector(),
    OpenAIDetector(),
    PypiTokenDetector(),
    SendGridDetector(),
    SquareOAuthDetector(),
    TwilioKeyDetector(),
)
# Literals (lowercase) at least one of which a block must hold for the plugin to match at all;
# skipping the plugin otherwise keeps text scanning near 10 MB/s.
_PLUGIN_HINTS: dict[type, tuple[str, ...]] = {
    PrivateKeyDetector: ("private key", "putty-user-key"),
    AWSKeyDetector: ("akia", "asia", "abia", "acca", "a3t", "aws"),
    StripeDetector: ("k_live_",),
    GitHubTokenDetector: ("gh",),
    GitLabTokenDetector: ("gl", "gr1348941"),
    SlackDetector: ("xox", "hooks.slack.com"),
    JwtTokenDetector: ("eyj",),
    AzureStorageKeyDetector: ("accountkey=",),
    MailchimpDetector: ("-us",),
    NpmDetector: ("_authtoken",),
    OpenAIDetector: ("t3blbkfj",),
    PypiTokenDetector: ("pypi-",),
    SendGridDetector: ("sg.",),
    SquareOAuthDetector: ("sq0csp-",),
    TwilioKeyDetector: ("AC", "SK"),  # a hint with capitals is looked for case-sensitively
}


def _with_article(name: str) -> str:
    return f"an {name}" if name[:1].upper() in "AEIOU" else f"a {name}"


def _line_around(block: str, position: int) -> str:
    start = block.rfind("\n", 0, position) + 1
    end = block.find("\n", position)
    return block[start : end if end != -1 else len(block)]


def _plugin_first(plugin: RegexBasedDetector, block: str) -> int | None:
    for regex in plugin.denylist:
        for match in regex.finditer(block):
            # Confirm on the match's own line: the plugin's checks (a JWT must decode, etc.)
            # apply, and no match may span two lines.
            if _is_placeholder(match.group()):
                continue
            if any(True for _ in plugin.analyze_string(_line_around(block, match.start()))):
                return match.start()
    return None


# An indented YAML value that is all base64, as in a Kubernetes Secret's `data:` map. It starts
# at the newline before the line (a literal start keeps the search fast).
_YAML_BASE64 = re.compile(
    r"\n[ \t]+(?P<name>[\w.-]+):[ \t]+[\"']?(?P<value>[A-Za-z0-9+/]{12,}={0,2})[\"']?"
    r"[ \t]*\r?(?=\n|\Z)"
)


def _base64_value_first(block: str) -> tuple[int, str] | None:
    """The first `name: base64` line whose decoded `name: value` holds a secret."""
    # Searched with a newline in front, so a match's start is its line's offset in `block`.
    for match in _YAML_BASE64.finditer("\n" + block):
        decoded = _base64_text(match["value"])
        if decoded is None:
            continue
        hit = _scan_block(f"{match['name']}: {decoded}", decode=False)
        if hit is not None:
            return match.start(), hit[1]
    return None


def scan_block(block: str) -> tuple[int, str] | None:
    """The first line in `block` that holds a secret, as (offset, kind), or None.

    Within one line our rules win over detect-secrets', and earlier rules over later ones
    (so `api_key = sk_live_...` is reported as a Stripe key, not a generic assignment).
    """
    return _scan_block(block, decode=True)


def _scan_block(block: str, *, decode: bool) -> tuple[int, str] | None:
    lowered = block.translate(_ASCII_LOWER)
    hits: list[tuple[int, str]] = []
    if decode:
        hit = _base64_value_first(block)
        if hit is not None:
            hits.append(hit)
    for rule in _RULES:
        position = rule.first(block, lowered)
        if position is not None:
            hits.append((position, rule.kind))
    for plugin in _PLUGINS:
        hints = _PLUGIN_HINTS.get(type(plugin))
        if hints is not None and not any(
            hint in (lowered if hint.islower() else block) for hint in hints
        ):
            continue
        position = _plugin_first(plugin, block)
        if position is not None:
            hits.append((position, _with_article(plugin.secret_type)))
    if not hits:
        return None
    # min() keeps the first of equal keys, so detector order breaks ties on a line.
    return min(hits, key=lambda hit: block.count("\n", 0, hit[0]))


class TextScanner:
    """Feed decoded text in any pieces; returns the first Finding, or None."""

    def __init__(self) -> None:
        self._pending = ""
        self._line = 1  # the line number of the first line in _pending
        # The last complete line scanned, scanned again in front of the next block, so a shape
        # that spans two lines (a Kubernetes env entry's name and value) is seen whole.
        self._previous = ""

    def _scan(self, block: str) -> Finding | None:
        text = self._previous + block
        hit = scan_block(text)
        if hit is None:
            return None
        position, kind = hit
        first_line = self._line - self._previous.count("\n")
        return Finding(line=first_line + text.count("\n", 0, position), kind=kind)

    def feed(self, text: str) -> Finding | None:
        self._pending += text
        cut = self._pending.rfind("\n")
        if cut >= 0:
            block, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
            finding = self._scan(block)
            self._line += block.count("\n")
            last = block[block.rfind("\n", 0, -1) + 1 :]
            self._previous = last if len(last) <= _OVERLAP else ""
            return finding
        if len(self._pending) > _LONG_LINE:
            finding = self._scan(self._pending)
            self._pending = self._pending[-_OVERLAP:]
            return finding
        return None

    def finish(self) -> Finding | None:
        block, self._pending = self._pending, ""
        return self._scan(block) if block else None
