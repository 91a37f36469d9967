"""The uploader's file name: shown back to people and used for downloads, so it must be plain.

A name's extension always matches the content: a file whose extension is not its detected
type's (`run.bat` holding text, `scan` holding a PDF) is kept as `run.bat.txt` and `scan.pdf`,
so no download is ever opened as a script, page or program. Names are scanned for credentials
like file contents.
"""

import unicodedata

from checklists.evidence.errors import EvidenceRejected
from checklists.evidence.scanning import scan_block
from checklists.evidence.types import EvidenceType, claimed_type

MAX_FILENAME_LENGTH = 200


def clean_filename(name: str) -> str:
    """Return the name (NFC, trimmed) or refuse it with a message saying what is wrong."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise EvidenceRejected("The file has no name; give it one and upload again.")
    if len(name) > MAX_FILENAME_LENGTH:
        raise EvidenceRejected(
            f"The file name is {len(name)} characters long; the limit is "
            f"{MAX_FILENAME_LENGTH}. Rename the file and upload again."
        )
    # Cc: control characters; Cf: invisible format characters such as right-to-left overrides.
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        raise EvidenceRejected(
            "The file name contains a control or invisible formatting character; "
            "rename the file and upload again."
        )
    if "/" in name or "\\" in name or name in (".", ".."):
        raise EvidenceRejected(
            "The file name must not contain a folder path (/, \\ or ..); "
            "upload the file under its own name."
        )
    stem = name.rpartition(".")[0]
    # The stem too: `client_secret=…` is an assignment only once `.csv` is off its value.
    hit = scan_block(name) or (scan_block(stem) if stem else None)
    if hit is not None:
        raise EvidenceRejected(
            f"The file name looks like it holds {hit[1]}; rename the file and upload again — "
            "the portal must never hold live credentials."
        )
    return name


def stored_filename(name: str, detected: EvidenceType) -> str:
    """The name to keep: `name` if its extension claims the detected type, else with it added."""
    if claimed_type(name) == detected:
        return name
    suffix = f".{detected.extension}"
    return name[: MAX_FILENAME_LENGTH - len(suffix)] + suffix
