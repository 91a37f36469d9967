"""Masks secrets in text before it reaches a log line or the audit trail.

The seeds forbid logging provider tokens in plain text; this module is the one place that
knows what a secret looks like: Authorization headers, key=value pairs whose key names a
secret, PEM blocks, and long high-entropy strings.
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
_HEX_DIGEST_LENGTHS = {40, 64}  # SHA-1 and SHA-256 digests are evidence, not secrets


def _entropy(text: str) -> float:
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _looks_like_secret(candidate: str) -> bool:
    bare = candidate.rstrip("=")
    if not (re.search(r"[A-Za-z]", bare) and re.search(r"\d", bare)):
        return False
    if len(bare) in _HEX_DIGEST_LENGTHS and re.fullmatch(r"[0-9a-f]+", bare):
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


def redact(text: str) -> str:
    if not text:
        return text
    text = _PEM_RE.sub(
        lambda m: f"-----BEGIN {m.group(1)}-----{MASK}-----END {m.group(1)}-----", text
    )
    text = _AUTH_HEADER_RE.sub(
        lambda m: m.group("name") + (m.group("scheme") + " " if m.group("scheme") else "") + MASK,
        text,
    )
    text = _PAIR_RE.sub(lambda m: m.group("name") + MASK, text)
    return _CANDIDATE_RE.sub(_mask_candidate, text)


def redact_value(value: Any, key: str | None = None) -> Any:
    """Redact a JSON-like value; anything under a key that names a secret is masked whole."""
    if key is not None and _SENSITIVE_NAME_RE.match(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item, key) for item in value]
    return value


def redact_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return redact_value(changes)


_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "correlation_id",
}


class RedactingFilter(logging.Filter):
    """Attached to every handler: rewrites the record so no secret leaves the process."""

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
        for name, value in list(vars(record).items()):
            if name in _STANDARD_ATTRS or value is None or isinstance(value, bool | int | float):
                continue
            setattr(
                record,
                name,
                redact_value(value, name)
                if isinstance(value, str | dict | list)
                else redact(str(value)),
            )
        return True
