"""How upload bodies reach the portal: refused early when too large or anonymous, spooled sealed.

`UploadLimitHandler` comes first in FILE_UPLOAD_HANDLERS. It refuses, before a byte of the body
is read, every multipart request that is not signed in and every one whose declared length
(Content-Length) passes EVIDENCE_MAX_BYTES plus EVIDENCE_UPLOAD_FORM_MARGIN (the form's other
fields and the multipart framing); it also stops as soon as the file bytes received pass that
sum. A refusal is a SuspiciousOperation (`UploadRefused`), which Django answers with 400 and
logs with the reason; files already spooled for the request are closed, so nothing remains and
the view never runs. A file over EVIDENCE_MAX_BYTES but within the margin reaches the evidence
service, which refuses it with a message for the uploader.

Uploads too large for memory wait on disk sealed by `SealedFileUploadHandler`, in the evidence
format (`crypto`) under a key that is random per upload and never leaves the process; the file
it hands over decrypts as it is read through `chunks()`, which is how `store_upload` reads. The
temporary file is deleted when the request closes its files, as Django's is.
"""

import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from checklists.evidence import crypto
from portal.env import private_dir


class UploadRefused(RequestDataTooBig):
    """A multipart body refused before the view: anonymous, or larger than evidence may be."""


def upload_limit() -> int:
    return settings.EVIDENCE_MAX_BYTES + settings.EVIDENCE_UPLOAD_FORM_MARGIN


class UploadLimitHandler(FileUploadHandler):
    """Stores nothing: refuses anonymous and oversize bodies, and passes every chunk on."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.received = 0
        self.refusal: str | None = None
        self.anonymous = True

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        user = getattr(self.request, "user", None)
        self.anonymous = user is None or not user.is_authenticated
        # Signed out, a multipart form (a sign-in page posted as multipart) is small.
        if self.anonymous and content_length > settings.EVIDENCE_UPLOAD_FORM_MARGIN:
            raise UploadRefused(
                "file upload refused before reading it: the request is not signed in"
            )
        if content_length > upload_limit():
            raise UploadRefused(
                f"file upload refused before reading it: the request declares {content_length:,} "
                f"bytes; an evidence file may be {settings.EVIDENCE_MAX_BYTES:,} bytes"
            )

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.anonymous:  # first in line: no other handler has seen a byte of the file
            raise UploadRefused("file upload refused: the request is not signed in")

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > upload_limit():
            self.refusal = (
                f"file upload stopped after {self.received:,} bytes; an evidence file may be "
                f"{settings.EVIDENCE_MAX_BYTES:,} bytes"
            )
            # The parser closes (and so deletes) every file it spooled, then calls
            # upload_complete, which turns the stop into a refusal.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None

    def upload_complete(self):
        if self.refusal is not None:
            raise UploadRefused(self.refusal)


class SealedUploadedFile(UploadedFile):
    def __init__(self, name, content_type, charset, content_type_extra=None):
        self._key = crypto.Key(id="upload", secret=secrets.token_bytes(32))
        self._blob_name = secrets.token_hex(16)
        spool_dir = private_dir(Path(settings.EVIDENCE_SPOOL_DIR))
        spool = tempfile.NamedTemporaryFile(prefix=".upload-", dir=spool_dir)  # noqa: SIM115
        super().__init__(spool, name, content_type, 0, charset, content_type_extra)
        self._sealer = crypto.Sealer(self._key, spool, name=self._blob_name)

    def append(self, data: bytes) -> None:
        self._sealer.write(data)

    def finish(self, size: int) -> None:
        self._sealer.close()
        self.file.flush()
        self.size = size

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The plaintext in the spool's own chunks (64 KiB); `chunk_size` is not used."""
        self.file.seek(0)
        keyring = crypto.KeyRing((self._key,))
        for plaintext, _final in crypto.open_chunks(self.file, keyring, name=self._blob_name):
            yield plaintext

    def read(self, *args, **kwargs):
        raise OSError("a sealed upload is read through chunks(), which decrypts it")

    def close(self):
        try:
            return self.file.close()
        except FileNotFoundError:
            pass


class SealedFileUploadHandler(FileUploadHandler):
    """Stands in for Django's TemporaryFileUploadHandler (see FILE_UPLOAD_HANDLERS)."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = SealedUploadedFile(
            self.file_name, self.content_type, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data, start):
        self.file.append(raw_data)

    def file_complete(self, file_size):
        self.file.finish(file_size)
        return self.file

    def upload_interrupted(self):
        if hasattr(self, "file"):
            self.file.close()
