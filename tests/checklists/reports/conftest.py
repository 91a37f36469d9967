"""Reports: a signing chain of our own (a root and a leaf), and a team with answers to report."""

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from checklists.models import AnswerStatus
from checklists.periods import Quarter
from tests.checklists.assessment_helpers import answer, approve, make_checklist, submit, upload


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(sign=not ca, ca=ca), critical=True)
        .sign(signing_key, hashes.SHA256())
    )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class SigningFiles:
    key: Path
    chain: Path
    root: Path
    other_root: Path
    leaf: x509.Certificate


@pytest.fixture(scope="session")
def signing_files(tmp_path_factory) -> SigningFiles:
    folder = tmp_path_factory.mktemp("report-keys")
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(
        _name("Test report root"),
        _name("Test report root"),
        root_key.public_key(),
        root_key,
        ca=True,
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(
        _name("Test portal report signing"),
        root.subject,
        leaf_key.public_key(),
        root_key,
        ca=False,
    )
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _certificate(
        _name("Someone else's root"),
        _name("Someone else's root"),
        other_key.public_key(),
        other_key,
        ca=True,
    )
    files = SigningFiles(
        key=folder / "signing-key.pem",
        chain=folder / "signing-chain.pem",
        root=folder / "root.pem",
        other_root=folder / "other-root.pem",
        leaf=leaf,
    )
    files.key.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"report passphrase"),
        )
    )
    files.chain.write_bytes(_pem(leaf) + _pem(root))
    files.root.write_bytes(_pem(root))
    files.other_root.write_bytes(_pem(other))
    return files


@pytest.fixture(autouse=True)
def _report_settings(settings, tmp_path, signing_files):
    settings.REPORT_ROOT = tmp_path / "reports"
    settings.REPORT_SIGNING_KEY_FILE = str(signing_files.key)
    settings.REPORT_SIGNING_CERT_FILE = str(signing_files.chain)
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "report passphrase"
    settings.REPORT_TRUST_ROOT_FILES = [str(signing_files.root)]
    settings.REPORT_TSA_URL = None


@pytest.fixture
def open_quarter() -> Quarter:
    return Quarter.current()


@pytest.fixture
def ended_quarter() -> Quarter:
    return Quarter.current().previous()


def fill_checklist(team, lead, reviewer, period: Quarter):
    """A GoPay + WeChat checklist: one approved answer with evidence, a group answered once,
    a partial answer with its justification; returns (checklist, facts)."""
    checklist = make_checklist(team, lead, period=str(period), providers=("gopay", "wechat"))
    carrier = checklist.attestations.filter(covers__isnull=False).select_related("control").first()
    covered = carrier.covers.select_related("control").first()
    plain = (
        checklist.attestations.filter(
            control__equivalence_group__isnull=True, satisfied_through__isnull=True
        )
        .select_related("control")
        .order_by("control__position")
    )
    approved, partial = plain[0], plain[1]
    answer(approved, lead, statement="Tokens live in the vault only.")
    evidence = upload(approved, lead, name="vault-policy.txt", content=b"vault policy v3\n")
    submit(approved, lead)
    approve(approved, reviewer)
    answer(
        partial,
        lead,
        status=AnswerStatus.PARTIAL,
        justification="Rotation is automated for production keys only, staging follows in Q2.",
    )
    answer(carrier, lead, statement="Secrets are injected at deploy time for all providers.")
    return checklist, {
        "approved": approved,
        "partial": partial,
        "carrier": carrier,
        "covered": covered,
        "evidence": evidence,
    }


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdfsig(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
