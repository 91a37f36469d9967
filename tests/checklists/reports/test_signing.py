"""The PAdES signature: validated by pyHanko and by poppler's pdfsig; any change is caught."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from checklists.models import ReportKind
from checklists.reports import signing, verification
from checklists.reports.services import produce_team_report
from tests.checklists.reports.conftest import fill_checklist, pdfsig


@pytest.fixture
def signed(catalog, team, lead, reviewer, open_quarter, tmp_path) -> Path:
    fill_checklist(team, lead, reviewer, open_quarter)
    produced = produce_team_report(
        team=team, quarter=open_quarter, kind=ReportKind.DRAFT, generated_by="lead"
    )
    path = tmp_path / "report.pdf"
    path.write_bytes(produced.pdf)
    return path


def flip_byte_in_signed_range(data: bytes) -> bytes:
    """One byte changed halfway through the first signed range (before the signature)."""
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)", data)
    at = int(match[1]) + int(match[2]) // 2
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _roots(*paths) -> list:
    return [cert for path in paths for cert in signing.load_certificates(path, "test")]


def test_pyhanko_finds_it_intact_valid_and_trusted(signed, signing_files):
    check = verification.check_signature(signed.read_bytes(), _roots(signing_files.root))
    assert check.ok, check.problem
    assert check.intact and check.valid and check.trusted and check.whole_file
    assert check.signer_fingerprint == signing.certificate_fingerprint(signing_files.leaf)
    assert not check.timestamped  # B-B: no timestamp authority configured


def test_pdfsig_finds_it_valid(signed):
    result = pdfsig(signed)
    assert "Signature is Valid." in result.stdout, result.stdout + result.stderr
    assert "Test portal report signing" in result.stdout
    assert "ETSI.CAdES.detached" in result.stdout  # PAdES


def test_pyhanko_command_line_validates_it_with_the_published_root(signed, signing_files):
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "pyhanko"),
            "sign",
            "validate",
            "--trust",
            str(signing_files.root),
            "--trust-replace",
            "--no-revocation-check",
            "--pretty-print",
            str(signed),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The signer's certificate is trusted." in result.stdout
    assert "The signature is cryptographically sound." in result.stdout


def test_one_changed_byte_is_caught_by_pyhanko_and_pdfsig(signed, signing_files, tmp_path):
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte_in_signed_range(signed.read_bytes()))
    check = verification.check_signature(tampered.read_bytes(), _roots(signing_files.root))
    assert not check.ok and not check.intact
    assert "modified" in check.problem
    result = pdfsig(tampered)
    assert "Signature is Valid." not in result.stdout
    assert "Signature is Invalid" in result.stdout or "Digest Mismatch" in result.stdout


def test_anything_appended_after_signing_is_caught(signed, signing_files):
    data = signed.read_bytes() + b"\n% appended later\n"
    check = verification.check_signature(data, _roots(signing_files.root))
    assert not check.ok


def test_a_signature_from_another_root_is_not_trusted(signed, signing_files):
    check = verification.check_signature(signed.read_bytes(), _roots(signing_files.other_root))
    assert check.intact and not check.trusted and not check.ok
    assert "trusted root" in check.problem


def test_an_unsigned_or_broken_file_is_answered_not_raised(signing_files):
    roots = _roots(signing_files.root)
    assert "not a readable PDF" in verification.check_signature(b"hello", roots).problem
    assert verification.attached_json(b"hello") is None


def test_it_refuses_to_sign_without_a_key_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.REPORT_SIGNING_KEY_FILE = None
    settings.REPORT_SIGNING_CERT_FILE = None
    with pytest.raises(ImproperlyConfigured, match="REPORT_SIGNING_KEY_FILE"):
        signing.load_signer()


def test_a_wrong_passphrase_is_a_clear_error(settings):
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "not it"
    with pytest.raises(ImproperlyConfigured, match="REPORT_SIGNING_KEY_PASSPHRASE"):
        signing.load_signer()


def test_a_certificate_for_another_key_is_refused(settings, signing_files):
    settings.REPORT_SIGNING_CERT_FILE = str(signing_files.root)
    with pytest.raises(ImproperlyConfigured, match="another key"):
        signing.load_signer()


def test_debug_makes_a_development_certificate_once(settings, tmp_path):
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path / "data"
    settings.REPORT_SIGNING_KEY_FILE = None
    settings.REPORT_SIGNING_CERT_FILE = None
    settings.REPORT_TRUST_ROOT_FILES = []
    first = signing.load_signer()
    again = signing.load_signer()
    assert first.fingerprint == again.fingerprint
    assert signing.dev_bundle_path().stat().st_mode & 0o077 == 0
    assert (signing.dev_bundle_path().parent.stat().st_mode & 0o077) == 0
    published = signing.load_certificates(signing.dev_certificate_path(), "published")
    assert signing.certificate_fingerprint(published[0]) == first.fingerprint
    assert [signing.certificate_fingerprint(c) for c in signing.trust_roots()] == [
        first.fingerprint
    ]
    assert first.key.curve.name == "secp256r1"


def test_a_pkcs12_bundle_signs_reports_that_validate(
    settings, signing_files, catalog, team, lead, reviewer, open_quarter, tmp_path
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = serialization.load_pem_private_key(
        signing_files.key.read_bytes(), password=b"report passphrase"
    )
    root = signing.load_certificates(signing_files.root, "test")[0]
    bundle = tmp_path / "signing.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"portal",
            key,
            signing_files.leaf,
            [root],
            serialization.BestAvailableEncryption(b"p12 passphrase"),
        )
    )
    settings.REPORT_SIGNING_KEY_FILE = settings.REPORT_SIGNING_CERT_FILE = None
    settings.REPORT_SIGNING_PKCS12_FILE = str(bundle)
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "p12 passphrase"
    assert signing.load_signer().certificate == signing_files.leaf
    fill_checklist(team, lead, reviewer, open_quarter)
    produced = produce_team_report(
        team=team, quarter=open_quarter, kind=ReportKind.DRAFT, generated_by="lead"
    )
    path = tmp_path / "p12-report.pdf"
    path.write_bytes(produced.pdf)
    assert "Signature is Valid." in pdfsig(path).stdout
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "wrong"
    with pytest.raises(ImproperlyConfigured, match="REPORT_SIGNING_PKCS12_FILE"):
        signing.load_signer()


def test_it_checks_and_signs_from_a_thread_that_runs_an_event_loop(signed, signing_files):
    """pyHanko starts a loop of its own; a caller already in one (an async server, a browser
    driver) still gets an answer, not "asyncio.run() cannot be called from a running loop"."""
    import asyncio

    from weasyprint import HTML

    unsigned = HTML(string="<p>Report</p>").write_pdf()

    async def from_a_loop():
        check = verification.check_signature(signed.read_bytes(), _roots(signing_files.root))
        return check, signing.sign_pdf(unsigned, signing.load_signer())

    check, fresh = asyncio.run(from_a_loop())
    assert check.ok, check.problem
    assert verification.check_signature(fresh, _roots(signing_files.root)).signed
