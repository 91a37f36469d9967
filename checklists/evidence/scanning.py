"""Refuses evidence that holds live credentials, scanning text as it streams in.

Two sets of detectors run over each block of complete lines:

- ours (first, so their wording is stable): private keys, AWS keys, Stripe live keys, GitHub
  and Slack tokens, JWTs, WeChat AppSecret/App Key and GoPay token assignments, bearer tokens,
  credentials laid out as table or CSV rows, passwords in URLs, and generic
  api_key/secret/password/token assignments whose value is not a placeholder;
- detect-secrets' regex plugins for other providers' key formats. Its high-entropy, keyword,
  public-IP and basic-auth plugins are left out: hashes, IP addresses and placeholder
  passwords are normal in evidence, and our own assignment and URL rules filter placeholders.
  Plugins are called through `analyze_string`, so nothing is ever sent for verification.

A finding carries the line number and the kind of secret, never the secret itself.
"""

import re
from dataclasses import dataclass

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

_ASSIGN = r"""["']?[ \t]*(?:=|:=|:|=>)[ \t]*"""
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


def _is_real_value(value: str, *, quoted: bool) -> bool:
    """False for empty, templated, masked, example or code-reference values."""
    value = value.strip().rstrip(",;")
    lowered = value.lower()
    if len(value) < 6 or len(set(value)) <= 2:
        return False
    if value[0] in "<{[($%*#" or "{{" in value:
        return False
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return False
    if lowered in {"true", "false", "null", "none", "required", "optional", "undefined"}:
        return False
    if re.fullmatch(r"[a-z0-9_.-]+(?:/[a-z0-9_.-]+)+", value):
        return False  # a lower-case path names where a secret is kept, e.g. a vault path
    if quoted:
        return True
    # Unquoted: words without digits read as prose ("Password: required"), and dotted names or
    # subscripts or calls as code (settings.DB_PASSWORD, os.environ[...], getenv(...)).
    return not (
        re.fullmatch(r"[A-Za-z_.\-]+", value)
        or re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z_][\w.]*[\[(].*", value)
    )


_ASCII_LOWER = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
)  # keeps every offset, unlike str.lower()


class _Rule:
    """A regex, optionally matched on the ASCII-lowered block (far faster than (?i))."""

    def __init__(
        self, kind: str, pattern: str, *, lowered: bool = False, value: bool = False
    ) -> None:
        self.kind = kind
        self.regex = re.compile(pattern)
        self.lowered = lowered
        self.value = value  # the pattern has a "value" group that must not be a placeholder

    def first(self, block: str, lowered: str) -> int | None:
        for match in self.regex.finditer(lowered if self.lowered else block):
            if not self.value:
                return match.start()
            start, end = match.span("value")
            quoted = bool(match.groupdict().get("quote"))
            if _is_real_value(block[start:end], quoted=quoted):
                return match.start()
        return None


_RULES = (
    _Rule("a private key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"),
    _Rule("an AWS access key", r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"),
    _Rule(
        "an AWS secret access key",
        rf"aws_?secret_?access_?key{_ASSIGN}(?P<quote>[\"']?)(?P<value>[a-z0-9/+]{{40}})\b",
        lowered=True,
        value=True,
    ),
    _Rule("a Stripe live secret key", r"(?:sk|rk)_live_[0-9A-Za-z]{16,}"),
    _Rule("a GitHub token", r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    _Rule("a Slack token", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    _Rule("a Slack webhook URL", r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/"),
    _Rule("a JSON Web Token", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
    _Rule(
        "a WeChat AppSecret or App Key",
        rf"app_?(?:secret|key){_ASSIGN}[\"']?[0-9a-f]{{32}}(?![0-9a-z])",
        lowered=True,
    ),
    _Rule(
        "a GoPay token",
        rf"(?:client|user|gopay)_token{_ASSIGN}(?P<quote>[\"']?)(?P<value>[a-z0-9._~+/=-]{{20,}})",
        lowered=True,
        value=True,
    ),
    _Rule(
        "a bearer token",
        r"\bbearer[ \t]+(?P<value>[a-z0-9._~+/-]{20,}=*)",
        lowered=True,
        value=True,
    ),
    _Rule(
        # A credential laid out as a table, CSV or list row: its name, then its value.
        "a credential in a table or list",
        r"(?:app_?secret|app_?key|client_?secret|client_?token|user_?token|api_?key|"
        r"secret_?key|access_?token|gopay_?token)[\"'`]?[ \t]*[,|;\t ][ \t,|;\"'`]*"
        r"(?P<value>[a-z0-9._~+/=-]{16,})",
        lowered=True,
        value=True,
    ),
    _Rule(
        "a password in a URL",
        r"://[^\s:/?#@\"'<>]+:(?P<value>[^\s/?#@\"'<>]+)@",
        value=True,
    ),
    _Rule(
        "an API key, secret or password assignment",
        r"(?:api[_-]?key|apikey|secret|secret[_-]?key|private[_-]?key|access[_-]?key|password|"
        rf"passwd|pwd|passphrase|token){_ASSIGN}(?P<quote>[\"'`]?)(?P<value>[^\s\"'`,;&<>]+)",
        lowered=True,
        value=True,
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
            if any(True for _ in plugin.analyze_string(_line_around(block, match.start()))):
                return match.start()
    return None


def scan_block(block: str) -> tuple[int, str] | None:
    """The first line in `block` that holds a secret, as (offset, kind), or None.

    Within one line our rules win over detect-secrets', and earlier rules over later ones
    (so `api_key = sk_live_...` is reported as a Stripe key, not a generic assignment).
    """
    lowered = block.translate(_ASCII_LOWER)
    hits: list[tuple[int, str]] = []
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

    def _scan(self, block: str) -> Finding | None:
        hit = scan_block(block)
        if hit is None:
            return None
        position, kind = hit
        return Finding(line=self._line + block.count("\n", 0, position), kind=kind)

    def feed(self, text: str) -> Finding | None:
        self._pending += text
        cut = self._pending.rfind("\n")
        if cut >= 0:
            block, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
            finding = self._scan(block)
            self._line += block.count("\n")
            return finding
        if len(self._pending) > _LONG_LINE:
            finding = self._scan(self._pending)
            self._pending = self._pending[-_OVERLAP:]
            return finding
        return None

    def finish(self) -> Finding | None:
        block, self._pending = self._pending, ""
        return self._scan(block) if block else None
