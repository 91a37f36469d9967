"""A stored name's extension matches its content, and names holding credentials are refused."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.evidence.storage import EvidenceRejected
from checklists.models import Evidence
from checklists.services.evidence import evidence_create_file
from tests.checklists.assessment_helpers import attestation_of, make_checklist, upload

from .conftest import jpeg_bytes, listing, pdf_bytes, png_bytes, store_bytes

TEXT = b"echo checked\n"

# Built at run time so this file does not itself look like it holds live credentials.
SECRET_NAMES = [
    ("AKIA" + "Q3EGRT7XZPN4WLKD" + ".txt", "an AWS access key"),
    ("sk_" + "live_" + "51Hx9aQ2pLmN8rT4vW6yZ0bC.log", "a Stripe live secret key"),
    ("ghp_" + "R8kz2mQ4vN6pX1tY3wA5bC7dE9fG0hJ2kL4m.txt", "a GitHub token"),
    ("xoxb-" + "302914827361-4820193746521-Qm2Xr8TzLp4N.txt", "a Slack token"),
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ik1lcmNoYW50In0"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c.txt",
        "a JSON Web Token",
    ),
    (
        "SG." + "Qm2Xr8TzLp4NvB6yW1cD3e.F5gH7jK9mN1pQ3rS5tV7wX9zA2bC4dE6fG8hJ0kL2mN.md",
        "a SendGrid API Key",
    ),
    ("glpat-" + "R8kz2mQ4vN6pX1tY3wA5.txt", "a GitLab Token"),
    ("-----BEGIN RSA " + "PRIVATE KEY-----.txt", "a private key"),
    ("password=" + "Hunter2Secret!.txt", "an API key, secret or password assignment"),
    (
        "client_secret=" + "R8kz2mQ4vN6pX1tY3wA5bC7dE9.csv",
        "an API key, secret or password assignment",
    ),
]


@pytest.mark.parametrize("filename, kind", SECRET_NAMES)
def test_it_refuses_a_name_holding_a_secret(evidence_root, filename, kind):
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(TEXT, filename)
    assert caught.value.message == (
        f"The file name looks like it holds {kind}; rename the file and upload again — "
        "the portal must never hold live credentials."
    )
    assert filename not in caught.value.message
    assert listing(evidence_root) == []


@pytest.mark.parametrize("extension", ["hta", "bat", "js", "ps1", "exe", "html", "svg", "conf"])
def test_text_under_another_extension_is_kept_as_txt(evidence_root, extension):
    blob = store_bytes(TEXT, f"run.{extension}")
    assert blob.filename == f"run.{extension}.txt"
    assert (blob.extension, blob.content_type) == ("txt", "text/plain; charset=utf-8")


@pytest.mark.parametrize(
    "data, filename, stored",
    [
        (pdf_bytes(), "scan", "scan.pdf"),
        (pdf_bytes(), "invoice.pdf.exe", "invoice.pdf.exe.pdf"),
        (png_bytes(), "shot.PNG", "shot.PNG"),
        (jpeg_bytes(), "photo.jpg", "photo.jpg"),
        (b"a: 1\n", "config.yml", "config.yml"),
        (TEXT, "README", "README.txt"),
        (TEXT, "x" * 196 + ".sh", "x" * 196 + ".txt"),
    ],
)
def test_the_kept_name_ends_in_the_detected_type(evidence_root, data, filename, stored):
    assert store_bytes(data, filename).filename == stored


def test_a_renamed_file_downloads_under_its_safe_name(client, catalog, team, lead, member):
    item = attestation_of(make_checklist(team, lead), "GOPAY-1.2")
    evidence = upload(item, member, "page.html", b"<script>alert(1)</script>\n")
    assert evidence.original_name == "page.html.txt"
    client.force_login(member)
    response = client.get(reverse("checklists:evidence_download", args=[team.slug, evidence.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="page.html.txt"'
    assert response["Content-Type"].startswith("text/plain")


def test_a_secret_in_the_name_is_refused_by_the_service(team, member, evidence_root):
    filename, kind = SECRET_NAMES[0]
    with pytest.raises(ValidationError, match=f"looks like it holds {kind}"):
        evidence_create_file(
            team=team,
            upload=SimpleUploadedFile(filename, TEXT),
            description="Scripts",
            by=member,
        )
    assert not Evidence.objects.exists() and listing(evidence_root) == []
