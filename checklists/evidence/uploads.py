"""Uploads too large for memory wait on disk sealed under a key that never leaves the process.

Django spools large uploads to a temporary file before a view sees them; with its stock
handler that file holds the plaintext until the request ends. This handler encrypts each chunk
as it arrives (AES-256-CTR, key and nonce random per upload, kept only in memory), and the file
it hands over decrypts as it is read through `chunks()`, which is how `store_upload` reads.
The temporary file is deleted when the request closes its files, as Django's is.
"""

import os
import tempfile
from collections.abc import Iterator

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class SealedUploadedFile(UploadedFile):
    def __init__(self, name, content_type, charset, content_type_extra=None):
        self._cipher = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16)))
        self._encryptor = self._cipher.encryptor()
        spool = tempfile.NamedTemporaryFile(prefix=".upload-", dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
        super().__init__(spool, name, content_type, 0, charset, content_type_extra)

    def append(self, data: bytes) -> None:
        self.file.write(self._encryptor.update(data))

    def finish(self, size: int) -> None:
        self.file.write(self._encryptor.finalize())
        self.file.flush()
        self.size = size

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self.file.seek(0)
        decryptor = self._cipher.decryptor()
        while data := self.file.read(chunk_size or self.DEFAULT_CHUNK_SIZE):
            yield decryptor.update(data)
        decryptor.finalize()

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
