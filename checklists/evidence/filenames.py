"""The uploader's file name: shown back to people, so it must be plain."""

import unicodedata

from checklists.evidence.errors import EvidenceRejected

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
    return name
