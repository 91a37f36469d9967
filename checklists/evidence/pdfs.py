"""PDF evidence: parsed with pypdf, refused unless well formed, and its text scanned.

pypdf checks the structure (a strict parse), refuses encrypted PDFs and PDFs carrying attached
files (neither can be scanned), and gives the document information (title, author, …) and the
values of form fields. The text of the pages comes from poppler's `pdftotext` (poppler-utils),
about fifty times faster than pypdf's extraction on dense pages, so a long document is scanned
within a request. The document reaches it through an in-memory file (memfd), never through the
disk. All of that text goes through the same scanner as text files. Text drawn as pictures (a
scanned page) cannot be read this way, so reviewers still look at what a PDF shows.
"""

import codecs
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import closing
from io import BytesIO

from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from checklists.evidence.errors import EvidenceRejected
from checklists.evidence.scanning import Finding, TextScanner

_REMOVE_IT = "remove it and upload again — the portal must never hold live credentials"
# A 20 MB PDF of dense text pages reads in well under this; a PDF built to stall the reader or
# to inflate into endless text is refused instead of holding the request.
PDFTOTEXT_SECONDS = 20
MAX_TEXT_BYTES = 256 * 1024 * 1024
_READ_SIZE = 64 * 1024


def _malformed(filename: str) -> EvidenceRejected:
    return EvidenceRejected(
        f"{filename} starts like a PDF but is not a well-formed PDF document; export or print "
        "it to PDF again and upload that."
    )


def _scan(text: str, *, where: str) -> None:
    scanner = TextScanner()
    finding = scanner.feed(text) or scanner.finish()
    if finding is not None:
        raise EvidenceRejected(
            f"{where}, line {finding.line} looks like {finding.kind}; " + _REMOVE_IT
        )


def _check_structure(document: BytesIO, filename: str) -> None:
    document.seek(0)
    try:
        reader = PdfReader(document, strict=True)
        if reader.is_encrypted:
            raise EvidenceRejected(
                f"{filename} is an encrypted PDF, which cannot be scanned for credentials; "
                "upload an unencrypted copy."
            )
        if reader.attachments:
            raise EvidenceRejected(
                f"{filename} carries attached files, which cannot be scanned; upload each "
                "attachment on its own and the PDF without them."
            )
        if not reader.pages:
            raise EvidenceRejected(f"{filename} is a PDF without pages; upload the full document.")
        info = reader.metadata or {}
        _scan(
            "\n".join(str(value) for value in info.values()),
            where=f"The document information of {filename}",
        )
        fields = reader.get_fields() or {}
        _scan(
            "\n".join(f"{name}: {field.get('/V', '')}" for name, field in fields.items()),
            where=f"The form fields of {filename}",
        )
    except EvidenceRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise _malformed(filename) from exc


def _pdftotext() -> str:
    path = shutil.which("pdftotext")
    if path is None:
        raise ImproperlyConfigured(
            "PDF evidence is scanned with poppler's pdftotext, which is not installed "
            "(Debian: apt-get install poppler-utils)"
        )
    return path


def _text_pieces(document: BytesIO, filename: str) -> Iterator[str]:
    """The pages' text as pdftotext writes it (pages end with a form feed), piece by piece."""
    fd = os.memfd_create("evidence-pdf")
    try:
        with open(fd, "wb", closefd=False) as memory:
            memory.write(document.getbuffer())
        process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
            [_pdftotext(), "-q", "-enc", "UTF-8", f"/dev/fd/{fd}", "-"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            pass_fds=(fd,),
        )
    finally:
        os.close(fd)
    timer = threading.Timer(PDFTOTEXT_SECONDS, process.kill)
    timer.start()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    total = 0
    try:
        assert process.stdout is not None
        while data := process.stdout.read(_READ_SIZE):
            total += len(data)
            if total > MAX_TEXT_BYTES:
                raise EvidenceRejected(
                    f"{filename} holds more text than can be scanned; upload an excerpt."
                )
            yield decoder.decode(data)
        yield decoder.decode(b"", final=True)
        returncode = process.wait()
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    if returncode < 0:
        raise EvidenceRejected(
            f"{filename} took longer than {PDFTOTEXT_SECONDS} seconds to read; upload an excerpt."
        )
    if returncode != 0:
        raise _malformed(filename)


def _check_pages(document: BytesIO, filename: str) -> None:
    page, scanner = 1, TextScanner()

    def refuse(finding: Finding | None) -> None:
        if finding is not None:
            raise EvidenceRejected(
                f"Page {page} of {filename}, line {finding.line} looks like {finding.kind}; "
                + _REMOVE_IT
            )

    with closing(_text_pieces(document, filename)) as pieces:
        for piece in pieces:
            first, *rest = piece.split("\f")
            refuse(scanner.feed(first) if first else None)
            for part in rest:  # each form feed ends a page
                refuse(scanner.finish())
                page, scanner = page + 1, TextScanner()
                refuse(scanner.feed(part) if part else None)
    refuse(scanner.finish())


def check_pdf(document: BytesIO, *, filename: str) -> None:
    """Refuse a PDF that does not parse, cannot be scanned, or whose text holds a secret."""
    _check_structure(document, filename)
    _check_pages(document, filename)
