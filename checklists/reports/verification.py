"""Is this PDF a report the portal signed, unchanged? Read from the bytes alone.

`check_signature` validates the PAdES signature with pyHanko against explicit trust roots,
offline, and insists that it covers the whole file: anything appended after signing counts
as a change. `attached_json` reads the JSON twin the report carries. Looking the file up
among stored exports is `services.report_verify`'s part.
"""

import io
import logging
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.generic import ArrayObject, DictionaryObject
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from checklists.reports.content import ATTACHMENT_NAME
from checklists.reports.signing import (
    SIGNATURE_FIELD,
    certificate_fingerprint,
    outside_event_loop,
    to_asn1,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignatureCheck:
    signed: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    whole_file: bool = False
    signer_subject: str = ""
    signer_fingerprint: str = ""
    signed_at: datetime | None = None
    timestamped: bool = False
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.trusted and self.whole_file


def _reader(data: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(data))


def check_signature(data: bytes, roots: list[x509.Certificate]) -> SignatureCheck:
    """The portal's signature on `data`, validated against `roots` without network access.

    A file too damaged to parse, or a signature too damaged to evaluate, is reported as not
    intact, never raised.
    """
    try:
        signatures = [
            s for s in _reader(data).embedded_signatures if s.field_name == SIGNATURE_FIELD
        ]
    except Exception as exc:  # noqa: BLE001 - pyHanko raises many kinds on damaged input
        logger.info("report PDF unreadable: %s", exc)
        return SignatureCheck(problem="The file is not a readable PDF, or it is damaged.")
    if not signatures:
        return SignatureCheck(problem="The file carries no signature of the portal.")
    signature = signatures[-1]
    context = ValidationContext(trust_roots=[to_asn1(root) for root in roots], allow_fetching=False)
    try:
        status = outside_event_loop(validate_pdf_signature, signature, context)
    except Exception as exc:  # noqa: BLE001 - damage inside the signature raises
        logger.info("report signature unreadable: %s", exc)
        return SignatureCheck(
            signed=True, problem="The signature itself is damaged: the file was modified."
        )
    certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    check = SignatureCheck(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        whole_file=whole,
        signer_subject=certificate.subject.rfc4514_string(),
        signer_fingerprint=certificate_fingerprint(certificate),
        signed_at=status.signer_reported_dt,
        timestamped=status.timestamp_validity is not None,
    )
    problem = ""
    if not check.intact or not check.valid:
        problem = "The signed content was changed after signing: the file was modified."
    elif not whole:
        problem = "Something was added to the file after it was signed."
    elif not check.trusted:
        problem = (
            "The signature is intact, but its certificate does not chain to a trusted root "
            "configured for this portal."
        )
    return SignatureCheck(**{**check.__dict__, "problem": problem})


def _name_tree_files(node: DictionaryObject) -> dict[str, DictionaryObject]:
    files: dict[str, DictionaryObject] = {}
    names = node.get("/Names")
    if isinstance(names, ArrayObject):
        for index in range(0, len(names) - 1, 2):
            files[str(names[index])] = names[index + 1]
    for kid in node.get("/Kids", ()):
        files.update(_name_tree_files(kid.get_object()))
    return files


def attached_json(data: bytes) -> bytes | None:
    """The report's attached JSON, or None if the file holds none (or cannot be read)."""
    try:
        root = _reader(data).root
        tree = root["/Names"]["/EmbeddedFiles"]
        for name, spec in _name_tree_files(tree.get_object()).items():
            spec = spec.get_object()
            if ATTACHMENT_NAME in (name, str(spec.get("/UF", "")), str(spec.get("/F", ""))):
                return spec["/EF"]["/F"].get_object().data
    except Exception as exc:  # noqa: BLE001 - any damage means "no readable attachment"
        logger.info("report attachment unreadable: %s", exc)
    return None


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)
