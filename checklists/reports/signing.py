"""PAdES signatures on reports with pyHanko, and the certificates they are checked against.

The key and its certificate chain come from REPORT_SIGNING_KEY_FILE and
REPORT_SIGNING_CERT_FILE (PEM; the signing certificate first, then any intermediates). With
DEBUG on and neither given, a self-signed ECDSA P-256 development certificate is made once
under DATA_DIR/keys and used from then on; it is never meant to leave the machine.

Signatures are PAdES B-B; with REPORT_TSA_URL set, B-T (a timestamp from that authority).
The signing certificate and its chain travel inside the signature, so a report verifies
without the portal.
"""

import asyncio
import io
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko_certvalidator.registry import SimpleCertificateStore

from portal.env import private_dir

SIGNATURE_FIELD = "PortalSignature"
DEV_BUNDLE = "report-signing-dev.pem"
DEV_CERTIFICATE = "report-signing-dev-cert.pem"
DEV_SUBJECT = "Compliance portal report signing (development, self-signed)"

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.+?\r?\n-----END \1-----", re.DOTALL)


@dataclass(frozen=True)
class ReportSigner:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...]  # the signing certificate first

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.certificate)

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _pem_blocks(data: bytes, *, suffix: bytes) -> list[bytes]:
    return [m.group(0) for m in _PEM_BLOCK.finditer(data) if m.group(1).endswith(suffix)]


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"{what}={str(path)!r} cannot be read: {exc}") from exc


def load_certificates(path: str | Path, what: str) -> list[x509.Certificate]:
    blocks = _pem_blocks(_read(path, what), suffix=b"CERTIFICATE")
    if not blocks:
        raise ImproperlyConfigured(f"{what}={str(path)!r} holds no PEM certificate")
    try:
        return [x509.load_pem_x509_certificate(block) for block in blocks]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{what}={str(path)!r}: a certificate is malformed") from exc


def _load_key(path: str | Path, passphrase: str | None):
    blocks = _pem_blocks(_read(path, "REPORT_SIGNING_KEY_FILE"), suffix=b"PRIVATE KEY")
    if not blocks:
        raise ImproperlyConfigured(f"REPORT_SIGNING_KEY_FILE={str(path)!r} holds no PEM key")
    try:
        key = serialization.load_pem_private_key(
            blocks[0], password=passphrase.encode() if passphrase else None
        )
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"REPORT_SIGNING_KEY_FILE={str(path)!r} cannot be loaded (wrong or missing "
            f"REPORT_SIGNING_KEY_PASSPHRASE?): {exc}"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ImproperlyConfigured("REPORT_SIGNING_KEY_FILE must hold an ECDSA or RSA key")
    return key


def _public(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def dev_bundle_path() -> Path:
    return Path(settings.DATA_DIR) / "keys" / DEV_BUNDLE


def dev_certificate_path() -> Path:
    """The development certificate alone, to hand to `pyhanko sign validate --trust`."""
    return Path(settings.DATA_DIR) / "keys" / DEV_CERTIFICATE


def _create_dev_bundle(path: Path) -> None:
    """Key and self-signed certificate in one file, created atomically once."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, DEV_SUBJECT),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Compliance portal"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    bundle = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) + certificate.public_bytes(serialization.Encoding.PEM)
    private_dir(path.parent)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".report-signing-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(bundle)
        # Fails if another process made one first: theirs is kept.
        with suppress(FileExistsError):
            os.link(temp, path)
    finally:
        os.unlink(temp)


def _dev_signer() -> ReportSigner:
    path = dev_bundle_path()
    if not path.exists():
        _create_dev_bundle(path)
    signer = ReportSigner(
        key=_load_key(path, None), chain=tuple(load_certificates(path, "development bundle"))
    )
    published = dev_certificate_path()
    pem = signer.certificate.public_bytes(serialization.Encoding.PEM)
    if not published.exists() or published.read_bytes() != pem:
        published.write_bytes(pem)
    return signer


def _pkcs12_signer(path: str | Path, passphrase: str | None) -> ReportSigner:
    """Key and chain from a PKCS#12 bundle (REPORT_SIGNING_PKCS12_FILE)."""
    data = _read(path, "REPORT_SIGNING_PKCS12_FILE")
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(
            data, passphrase.encode() if passphrase else None
        )
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"REPORT_SIGNING_PKCS12_FILE={str(path)!r} cannot be loaded (wrong or missing "
            "REPORT_SIGNING_KEY_PASSPHRASE?)"
        ) from exc
    if key is None or certificate is None:
        raise ImproperlyConfigured(
            f"REPORT_SIGNING_PKCS12_FILE={str(path)!r} must hold a key and its certificate"
        )
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ImproperlyConfigured("REPORT_SIGNING_PKCS12_FILE must hold an ECDSA or RSA key")
    return ReportSigner(key=key, chain=(certificate, *others))


def load_signer() -> ReportSigner:
    """The configured key and chain (PEM files, or a PKCS#12 bundle), or under DEBUG the
    development certificate."""
    if settings.REPORT_SIGNING_PKCS12_FILE:
        return _pkcs12_signer(
            settings.REPORT_SIGNING_PKCS12_FILE, settings.REPORT_SIGNING_KEY_PASSPHRASE
        )
    key_file = settings.REPORT_SIGNING_KEY_FILE
    cert_file = settings.REPORT_SIGNING_CERT_FILE
    if not key_file and not cert_file:
        if settings.DEBUG:
            return _dev_signer()
        raise ImproperlyConfigured(
            "REPORT_SIGNING_KEY_FILE and REPORT_SIGNING_CERT_FILE are required to sign "
            "reports when DEBUG is off."
        )
    if not key_file or not cert_file:
        raise ImproperlyConfigured(
            "REPORT_SIGNING_KEY_FILE and REPORT_SIGNING_CERT_FILE go together: set both."
        )
    key = _load_key(key_file, settings.REPORT_SIGNING_KEY_PASSPHRASE)
    chain = load_certificates(cert_file, "REPORT_SIGNING_CERT_FILE")
    if _public(key.public_key()) != _public(chain[0].public_key()):
        raise ImproperlyConfigured(
            "REPORT_SIGNING_CERT_FILE must start with the certificate of the key in "
            "REPORT_SIGNING_KEY_FILE; its first certificate is for another key."
        )
    return ReportSigner(key=key, chain=tuple(chain))


def trust_roots() -> list[x509.Certificate]:
    """The certificates a report's signature must chain to (REPORT_TRUST_ROOT_FILES); under
    DEBUG with none given, the signing chain's last certificate."""
    roots: list[x509.Certificate] = []
    for path in settings.REPORT_TRUST_ROOT_FILES:
        roots += load_certificates(path, "REPORT_TRUST_ROOT_FILES")
    if not roots and settings.DEBUG:
        roots.append(load_signer().chain[-1])
    return roots


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def sign_pdf(data: bytes, signer: ReportSigner) -> bytes:
    """The PDF with a PAdES signature over all of it, appended as an incremental update."""
    key_info = asn1_keys.PrivateKeyInfo.load(
        signer.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain = [to_asn1(certificate) for certificate in signer.chain]
    pdf_signer = signers.SimpleSigner(
        signing_cert=chain[0],
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )
    timestamper = (
        timestamps.HTTPTimeStamper(settings.REPORT_TSA_URL) if settings.REPORT_TSA_URL else None
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="Compliance report generated and signed by the portal",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    output = outside_event_loop(
        signers.sign_pdf, writer, metadata, signer=pdf_signer, timestamper=timestamper
    )
    return output.getvalue()


def outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous functions, which start an asyncio loop of their own,
    from any caller: in a thread of its own when this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()
