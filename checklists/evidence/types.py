"""Which file types are evidence, decided from the content (libmagic), never from the name.

PDF, PNG and JPEG are recognised by libmagic. Everything else must be strict UTF-8 text with
no binary control characters, checked over the whole stream; a text file's subtype (csv, json,
md, log, yaml, txt) follows its extension, and defaults to txt.
"""

import codecs
import functools
import re
from dataclasses import dataclass

import magic

from checklists.evidence.errors import EvidenceRejected


@dataclass(frozen=True)
class EvidenceType:
    extension: str
    content_type: str
    label: str
    is_text: bool


TYPES = {
    t.extension: t
    for t in (
        EvidenceType("pdf", "application/pdf", "a PDF document", is_text=False),
        EvidenceType("png", "image/png", "a PNG image", is_text=False),
        EvidenceType("jpeg", "image/jpeg", "a JPEG image", is_text=False),
        EvidenceType("txt", "text/plain; charset=utf-8", "text", is_text=True),
        EvidenceType("csv", "text/csv; charset=utf-8", "CSV text", is_text=True),
        EvidenceType("json", "application/json", "JSON text", is_text=True),
        EvidenceType("md", "text/markdown; charset=utf-8", "Markdown text", is_text=True),
        EvidenceType("log", "text/plain; charset=utf-8", "a text log", is_text=True),
        EvidenceType("yaml", "application/yaml", "YAML text", is_text=True),
    )
}
_ALIASES = {"jpg": "jpeg", "jpe": "jpeg", "yml": "yaml", "text": "txt", "markdown": "md"}
_BINARY_BY_MIME = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpeg"}
ALLOWED_SUMMARY = "PDF, PNG, JPEG, or UTF-8 text (txt, csv, json, md, log, yaml)"

# C0 controls other than tab, newline, vertical tab, form feed, carriage return and escape
# (coloured logs keep their escape sequences).
BINARY_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def claimed_type(filename: str) -> EvidenceType | None:
    """The allowed type the name's extension claims, if any."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem:
        return None
    extension = extension.lower()
    return TYPES.get(_ALIASES.get(extension, extension))


def new_text_decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors="strict")


def _head_is_text(head: bytes) -> bool:
    try:
        decoded = new_text_decoder().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return not BINARY_CONTROL_RE.search(decoded)


@functools.cache
def _encoding_detector() -> magic.Magic:
    return magic.Magic(mime_encoding=True)  # thread-safe: each Magic holds its own lock


def _encoding_of(head: bytes) -> str:
    return _encoding_detector().from_buffer(head)


def detect_type(head: bytes, *, filename: str) -> EvidenceType:
    """Decide the type from the first bytes; text files are confirmed later, to the end."""
    claimed = claimed_type(filename)
    mime = magic.from_buffer(head, mime=True)
    binary = _BINARY_BY_MIME.get(mime)
    if binary is not None:
        detected = TYPES[binary]
    elif _head_is_text(head):
        detected = claimed if claimed is not None and claimed.is_text else TYPES["txt"]
    else:
        if mime.startswith("text/"):
            mime = f"text in {_encoding_of(head)}, not UTF-8"
        if claimed is not None:
            raise EvidenceRejected(
                f"{filename} is named as {claimed.label} but its content is {mime}; "
                f"evidence must be {ALLOWED_SUMMARY}."
            )
        raise EvidenceRejected(
            f"The content of {filename} is {mime}, which is not accepted as evidence; "
            f"upload {ALLOWED_SUMMARY}."
        )
    if claimed is not None and claimed != detected:
        raise EvidenceRejected(
            f"{filename} is named as {claimed.label} but its content is {detected.label}; "
            "rename it to match its content or upload the right file."
        )
    return detected
