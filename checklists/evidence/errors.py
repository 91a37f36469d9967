"""Exceptions shared by the evidence modules."""


class EvidenceRejected(Exception):
    """An upload the portal refuses; `.message` is safe to show to the uploader."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BlobUnreadable(Exception):
    """A stored blob that cannot be decrypted; the message never holds key material."""


class BlobTampered(BlobUnreadable):
    """A stored blob whose header or chunks fail authentication (altered, cut or reordered)."""


class BlobKeyMissing(BlobUnreadable):
    """A stored blob sealed with a key id that is no longer in EVIDENCE_KEYS."""
