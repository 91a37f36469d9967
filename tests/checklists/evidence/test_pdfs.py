"""PDF evidence is parsed, refused unless well formed, and its text scanned for credentials."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader, PdfWriter

from checklists.evidence.storage import EvidenceRejected, open_blob

from .conftest import listing, pdf_bytes, store_bytes

AWS_ID = "AKIA" + "Q3EGRT7XZPN4WLKD"  # built at run time, like the scanner's own tests
SUFFIX = "; remove it and upload again — the portal must never hold live credentials"
MALFORMED = (
    "{} starts like a PDF but is not a well-formed PDF document; export or print it to PDF "
    "again and upload that."
)


def _rewritten(data: bytes, change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _refusal(data: bytes, filename: str = "policy.pdf") -> str:
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(data, filename)
    return caught.value.message


def test_a_clean_pdf_is_kept(evidence_root):
    data = pdf_bytes("Quarterly firewall review: all rules approved")
    blob = store_bytes(data, "review.pdf")
    assert blob.content_type == "application/pdf"
    assert b"".join(open_blob(blob.name)) == data


def test_a_secret_in_page_text_is_refused(evidence_root):
    message = _refusal(pdf_bytes(f"aws_access_key_id = {AWS_ID}"))
    assert message == "Page 1 of policy.pdf, line 1 looks like an AWS access key" + SUFFIX
    assert listing(evidence_root) == []


def test_a_secret_in_a_compressed_stream_is_refused(evidence_root):
    def compress(writer):
        for page in writer.pages:
            page.compress_content_streams()

    data = _rewritten(pdf_bytes(f"aws_access_key_id = {AWS_ID}"), compress)
    assert AWS_ID.encode() not in data  # only the parsed text shows it
    assert "looks like an AWS access key" in _refusal(data)
    assert listing(evidence_root) == []


def test_a_secret_in_the_document_information_is_refused(evidence_root):
    data = _rewritten(pdf_bytes(), lambda w: w.add_metadata({"/Subject": f"key {AWS_ID}"}))
    message = _refusal(data)
    assert message.startswith("The document information of policy.pdf, line ")
    assert message.endswith("looks like an AWS access key" + SUFFIX)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\napi notes, not a PDF at all\n",
        b"%PDF-1.4\n" + b"x" * 20_000,
        pdf_bytes()[:-200],  # cut short: no cross-reference table or trailer
    ],
)
def test_what_only_starts_like_a_pdf_is_refused(evidence_root, data):
    assert _refusal(data) == MALFORMED.format("policy.pdf")
    assert listing(evidence_root) == []


def test_an_encrypted_pdf_is_refused(evidence_root):
    data = _rewritten(pdf_bytes(), lambda w: w.encrypt("owner-and-user", algorithm="AES-256"))
    assert _refusal(data) == (
        "policy.pdf is an encrypted PDF, which cannot be scanned for credentials; "
        "upload an unencrypted copy."
    )


def test_a_pdf_with_attached_files_is_refused(evidence_root):
    data = _rewritten(pdf_bytes(), lambda w: w.add_attachment("keys.txt", b"anything\n"))
    assert _refusal(data) == (
        "policy.pdf carries attached files, which cannot be scanned; upload each attachment "
        "on its own and the PDF without them."
    )
    assert listing(evidence_root) == []


def test_it_names_the_page_that_holds_the_secret(evidence_root):
    def add_pages(writer):
        writer.add_page(PdfReader(io.BytesIO(pdf_bytes("Page two: all clear"))).pages[0])
        writer.add_page(PdfReader(io.BytesIO(pdf_bytes(f"aws_access_key_id = {AWS_ID}"))).pages[0])

    message = _refusal(_rewritten(pdf_bytes("Cover page"), add_pages))
    assert message == "Page 3 of policy.pdf, line 1 looks like an AWS access key" + SUFFIX


def test_it_needs_pdftotext(evidence_root, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ImproperlyConfigured, match="apt-get install poppler-utils"):
        store_bytes(pdf_bytes(), "policy.pdf")
    assert listing(evidence_root) == []
