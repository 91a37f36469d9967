"""Evidence kept in an S3-compatible bucket, through the pages a team uses: only ciphertext under
random names reaches the bucket, and what comes back is the file that was uploaded."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.models import Evidence
from tests.checklists.assessment_helpers import attestation_of, make_checklist
from tests.s3_server import EVIDENCE_PREFIX

FILENAME = "kopi-kita-payment-gateway-tls.log"
LINE = b"2026-11-02 listener payments.kopi-kita.example TLSv1.3 only, HSTS on\n"
PLAINTEXT = LINE * 5_000  # about 350 KB: sealed in several chunks


@pytest.fixture
def item(catalog, team, lead):
    return attestation_of(make_checklist(team, lead), "GOPAY-1.2")


def _upload(client, item, *, name=FILENAME, content=PLAINTEXT, expected_version=None):
    item.refresh_from_db()
    checklist = item.checklist
    url = reverse(
        "checklists:evidence_upload", args=[checklist.team.slug, checklist.period, item.control.ref]
    )
    data = {
        "upload": SimpleUploadedFile(name, content),
        "description": "TLS settings of the payment listener",
        "expected_version": item.version if expected_version is None else expected_version,
    }
    return client.post(url, data, follow=True)


def _download(client, team, evidence):
    return client.get(reverse("checklists:evidence_download", args=[team.slug, evidence.pk]))


def test_an_upload_reaches_the_bucket_as_ciphertext_under_a_random_name(
    client, settings, s3_bucket, team, item, member, auditor
):
    client.force_login(member)
    assert _upload(client, item).status_code == 200
    evidence = Evidence.objects.get()

    (key,) = s3_bucket.object_keys()
    assert key == f"{EVIDENCE_PREFIX}/{evidence.blob_name}"
    assert re.fullmatch(rf"{EVIDENCE_PREFIX}/[0-9a-f]{{32}}", key)
    assert team.slug not in key and "kopi" not in key and "tls" not in key
    stored = s3_bucket.read(key)
    assert stored.startswith(b"PEVD")
    assert LINE not in stored and b"TLSv1.3" not in stored and b"payments.kopi" not in stored
    assert FILENAME.encode() not in stored and team.slug.encode() not in stored
    assert len(stored) > len(PLAINTEXT)  # every chunk carries its tag
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=key)
    assert head["ContentType"] == "application/octet-stream" and head["Metadata"] == {}
    assert not settings.EVIDENCE_ROOT.exists()  # nothing kept on the web node

    client.force_login(auditor)
    response = _download(client, team, evidence)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PLAINTEXT
    assert response["Content-Disposition"] == f'attachment; filename="{FILENAME}"'


def test_a_changed_object_in_the_bucket_is_not_served(client, s3_bucket, team, item, member):
    client.force_login(member)
    _upload(client, item, content=b"ssl_protocols TLSv1.2 TLSv1.3;\n")
    evidence = Evidence.objects.get()
    key = f"{EVIDENCE_PREFIX}/{evidence.blob_name}"
    altered = bytearray(s3_bucket.read(key))
    altered[-3] ^= 0x01
    s3_bucket.write(key, bytes(altered))

    response = _download(client, team, evidence)
    assert response.status_code == 500
    assert "failed its integrity check" in response.content.decode()


def test_an_object_copied_over_another_is_not_served(client, s3_bucket, team, item, member):
    client.force_login(member)
    _upload(client, item, name="first.txt", content=b"first file\n")
    _upload(client, item, name="second.txt", content=b"second file\n")
    first, second = Evidence.objects.order_by("pk")
    s3_bucket.write(
        f"{EVIDENCE_PREFIX}/{first.blob_name}",
        s3_bucket.read(f"{EVIDENCE_PREFIX}/{second.blob_name}"),
    )
    response = _download(client, team, first)
    assert response.status_code == 500


def test_a_refused_upload_leaves_nothing_in_the_bucket(client, s3_bucket, item, member):
    client.force_login(member)
    secret = b"STRIPE_SECRET_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n"
    page = _upload(client, item, name="env.txt", content=secret).content.decode()
    assert "looks like a Stripe live secret key" in page and not Evidence.objects.exists()
    assert s3_bucket.object_keys() == [] and s3_bucket.pending_uploads() == []


def test_a_stale_form_removes_the_uploaded_object_again(client, s3_bucket, item, member, lead):
    client.force_login(member)
    _upload(client, item, name="first.txt", content=b"first file\n")
    client.force_login(lead)
    stale = _upload(client, item, name="second.txt", content=b"second\n", expected_version=0)
    assert "changed while you were editing it" in stale.content.decode()
    (evidence,) = Evidence.objects.all()
    assert s3_bucket.object_keys() == [f"{EVIDENCE_PREFIX}/{evidence.blob_name}"]
