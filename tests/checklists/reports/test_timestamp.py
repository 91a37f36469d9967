"""PAdES B-T: with REPORT_TSA_URL set, the signature carries an RFC 3161 timestamp fetched over
HTTP from that authority (here one of our own, on loopback)."""

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import BytesIO

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from checklists.models import ReportKind
from checklists.reports import signing
from checklists.reports.services import produce_team_report
from tests.checklists.reports.conftest import fill_checklist


def _tsa():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loopback timestamp authority")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


@pytest.fixture
def tsa_url():
    key, certificate = _tsa()
    stamper = DummyTimeStamper(
        tsa_cert=signing.to_asn1(certificate),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )
    requests = []

    class Authority(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(self.headers["Content-Type"])
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Authority)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", certificate, requests
    server.shutdown()


def test_a_timestamp_authority_makes_the_signature_pades_b_t(
    settings, tsa_url, signing_files, catalog, team, lead, reviewer, open_quarter
):
    url, tsa_certificate, requests = tsa_url
    settings.REPORT_TSA_URL = url
    fill_checklist(team, lead, reviewer, open_quarter)
    produced = produce_team_report(
        team=team, quarter=open_quarter, kind=ReportKind.DRAFT, generated_by="lead"
    )
    assert requests and set(requests) == {"application/timestamp-query"}  # sizing, then signing
    signature = PdfFileReader(BytesIO(produced.pdf)).embedded_signatures[0]
    roots = [signing.to_asn1(c) for c in signing.load_certificates(signing_files.root, "t")]
    status = validate_pdf_signature(
        signature,
        signer_validation_context=ValidationContext(trust_roots=roots),
        ts_validation_context=ValidationContext(trust_roots=[signing.to_asn1(tsa_certificate)]),
    )
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted
