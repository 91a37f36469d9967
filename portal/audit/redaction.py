"""Masks secrets in text before it reaches a log line or the audit trail.

The seeds forbid logging provider tokens in plain text; this module is the one place that
knows what a secret looks like. Two rules:

* Log lines (`redact`, `RedactingFilter`): Authorization headers, key=value pairs whose key
  names a secret, PEM blocks, and long high-entropy strings, 40- and 64-hex-digit ones
  included (a WeChat AppSecret or an API key looks just like a digest). Broad on purpose: a
  log line that loses a file name costs little.
* The audit trail (`redact_audit`, `redact_audit_value`): only values under secret-named keys,
  PEM blocks and Authorization headers. Text reaching the trail was secret-scanned on entry,
  and the trail is append-only, so a false positive ("pen-test-report-2026Q3-final_v2.pdf"
  read as a token) could never be corrected; digests stay, as they are evidence.
"""

import logging
import math
import re
from collections import Counter
from typing import Any

MASK = "[REDACTED]"

_SENSITIVE_NAME = (
    r"[\w.-]*?(?:token|api[_-]?key|apikey|secret|password|passwd|pwd|app[_-]?key|"
    r"private[_-]?key|access[_-]?key|credential|signature)s?"
)
_SENSITIVE_NAME_RE = re.compile(rf"^{_SENSITIVE_NAME}$", re.IGNORECASE)

_PEM_RE = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?(?:-----END \1-----|\Z)", re.DOTALL)
_AUTH_HEADER_RE = re.compile(
    r"(?P<name>\b(?:http_)?(?:proxy[_-])?authorization\b[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(?P<scheme>bearer|basic|token|digest|apikey)\s+)?"
    r"(?P<value>[^\s\"',;]+)",
    re.IGNORECASE,
)
_PAIR_RE = re.compile(
    rf"(?P<name>\b{_SENSITIVE_NAME}\b[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,;}}\]]+)",
    re.IGNORECASE,
)
_CANDIDATE_RE = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
# A calendar feed's address is its credential, whatever characters its token happens to hold.
_CALENDAR_FEED_RE = re.compile(r"(?P<path>/calendar/)[^/\s\"'?]+\.ics")
# So is a team invitation's, also when it rides URL-encoded in a sign-in page's `next`.
_INVITATION_RE = re.compile(
    r"(?P<path>(?:/|%2F)invitations(?:/|%2F))[A-Za-z0-9_-]{16,}", re.IGNORECASE
)
# The portal's own API tokens: the visible prefix stays, the secret goes.
_API_TOKEN_RE = re.compile(r"\b(?P<prefix>cpt_[a-z0-9]{8})_[A-Za-z0-9]{40}(?![A-Za-z0-9])")
# 40 and 64 hex digits: SHA-1/SHA-256 digests, but also the shape of many API secrets; a log
# line cannot tell them apart, so both are masked there.
_HEX_SECRET_LENGTHS = {40, 64}


def _entropy(text: str) -> float:
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _looks_like_secret(candidate: str) -> bool:
    bare = candidate.rstrip("=")
    if len(bare) in _HEX_SECRET_LENGTHS and re.fullmatch(r"[0-9a-fA-F]+", bare):
        return True
    if not (re.search(r"[A-Za-z]", bare) and re.search(r"\d", bare)):
        return False
    return _entropy(bare) >= 3.5


def _mask_candidate(match: re.Match) -> str:
    candidate = match.group(0)
    if "/" in candidate:
        # A path or URL: judge each segment, so tracebacks stay readable.
        return "/".join(
            MASK if len(part) >= 16 and _looks_like_secret(part) else part
            for part in candidate.split("/")
        )
    return MASK if _looks_like_secret(candidate) else candidate


def _redact_structured(text: str) -> str:
    """PEM blocks, Authorization headers and secret-named key=value pairs."""
    text = _PEM_RE.sub(
        lambda m: f"-----BEGIN {m.group(1)}-----{MASK}-----END {m.group(1)}-----", text
    )
    text = _AUTH_HEADER_RE.sub(
        lambda m: m.group("name") + (m.group("scheme") + " " if m.group("scheme") else "") + MASK,
        text,
    )
    text = _CALENDAR_FEED_RE.sub(lambda m: m.group("path") + MASK + ".ics", text)
    text = _INVITATION_RE.sub(lambda m: m.group("path") + MASK, text)
    text = _API_TOKEN_RE.sub(lambda m: m.group("prefix") + "_" + MASK, text)
    return _PAIR_RE.sub(lambda m: m.group("name") + MASK, text)


def redact(text: str) -> str:
    """The log-line rule: structured secrets and anything that looks random."""
    if not text:
        return text
    return _CANDIDATE_RE.sub(_mask_candidate, _redact_structured(text))


def redact_audit(text: str) -> str:
    """The audit-trail rule: structured secrets only (see the module docstring)."""
    if not text:
        return text
    return _redact_structured(text)


def _redact_tree(value: Any, key: str | None, rule) -> Any:
    if key is not None and _SENSITIVE_NAME_RE.match(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return rule(value)
    if isinstance(value, dict):
        return {k: _redact_tree(v, str(k), rule) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_tree(item, key, rule) for item in value]
    return value


def redact_value(value: Any, key: str | None = None) -> Any:
    """Redact a JSON-like value for a log line; anything under a key that names a secret is
    masked whole."""
    return _redact_tree(value, key, redact)


def redact_audit_value(value: Any, key: str | None = None) -> Any:
    """The same for the audit trail, with the narrow rule."""
    return _redact_tree(value, key, redact_audit)


def redact_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return redact_audit_value(changes)


_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "correlation_id",
}


class RedactingFilter(logging.Filter):
    """Attached to every handler: rewrites the record so no secret leaves the process.

    A record may name extra fields that are public by construction in its `unredacted`
    attribute (a tuple of names), such as a signed checkpoint's hash and signature, which a
    SIEM needs verbatim; the message and every other field are still redacted.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the rest of the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        public = getattr(record, "unredacted", ())
        for name, value in list(vars(record).items()):
            if name in _STANDARD_ATTRS or value is None or isinstance(value, bool | int | float):
                continue
            if name == "unredacted" or name in public:
                continue
            setattr(
                record,
                name,
                redact_value(value, name)
                if isinstance(value, str | dict | list)
                else redact(str(value)),
            )
        return True
