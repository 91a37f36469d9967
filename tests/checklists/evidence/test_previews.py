"""Previews of evidence on the answer page: text escaped in the page, raster images from a
preview URL with strict headers, nothing else shown inline; read like a download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.models import Evidence
from checklists.services import evidence as evidence_services
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import attestation_of, make_checklist
from tests.checklists.evidence.conftest import jpeg_bytes, pdf_bytes, png_bytes

PREVIEW_URLS = {"evidence_preview"}  # walked here for every role, see test_checklist_urls
SCRIPTED = b"2026-11-02 login ok\n<script>alert('preview')</script>\n<b>bold</b> & more\n"


@pytest.fixture
def item(catalog, team, lead):
    return attestation_of(make_checklist(team, lead), "GOPAY-1.2")


def _upload(item, by, name, content) -> Evidence:
    item.refresh_from_db()
    return evidence_services.evidence_add_file(
        attestation=item,
        upload=SimpleUploadedFile(name, content),
        description=f"What {name} shows",
        by=by,
        expected_version=item.version,
    )


def _preview_url(evidence, slug="kopi-kita"):
    return reverse("checklists:evidence_preview", args=[slug, evidence.pk])


def _page(client, item, evidence):
    return client.get(item.get_absolute_url(), {"preview": evidence.pk}).content.decode()


def test_text_evidence_is_shown_escaped_in_the_page(client, item, member, reviewer):
    evidence = _upload(item, member, "signin.log", SCRIPTED)
    client.force_login(reviewer)
    page = _page(client, item, evidence)
    assert f'href="?preview={evidence.pk}#evidence-preview"' in page
    preview = page.split('id="evidence-preview"', 1)[1].split("</section>", 1)[0]
    assert "&lt;script&gt;alert(&#x27;preview&#x27;)&lt;/script&gt;" in preview
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in preview
    assert "<script>" not in preview and "<b>" not in preview
    assert "<pre" in preview and "<img" not in preview
    event = AuditEvent.objects.get(action="checklists.evidence.previewed")
    assert event.actor == reviewer and event.changes == {"sha256": evidence.sha256, "as": "text"}


def test_without_asking_nothing_is_decrypted_or_recorded(client, item, member):
    _upload(item, member, "signin.log", SCRIPTED)
    client.force_login(member)
    page = client.get(item.get_absolute_url()).content.decode()
    assert 'id="evidence-preview"' not in page
    assert not AuditEvent.objects.filter(action="checklists.evidence.previewed").exists()


def test_a_long_text_shows_its_first_20_kb(client, item, member):
    line = "é" * 99 + "\n"  # two bytes a letter: the cut falls inside one
    evidence = _upload(item, member, "big.txt", (line * 200).encode())
    client.force_login(member)
    page = _page(client, item, evidence)
    shown = page.split("<pre", 1)[1].split(">", 1)[1].split("</pre>", 1)[0]
    assert len(shown.encode()) <= 20 * 1024 and len(shown.encode()) > 20 * 1024 - 4
    assert "Only the first 20 KB are shown" in page


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("screen.png", png_bytes(), "image/png"), ("photo.jpg", jpeg_bytes(), "image/jpeg")],
)
def test_an_image_is_served_inline_with_strict_headers(
    client, item, member, reviewer, name, content, content_type
):
    evidence = _upload(item, member, name, content)
    client.force_login(reviewer)
    page = _page(client, item, evidence)
    assert f'<img src="{_preview_url(evidence)}" alt="What {name} shows">' in page
    response = client.get(_preview_url(evidence))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(
        action="checklists.evidence.previewed", actor=reviewer, changes__as="image"
    ).exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "diagram.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n',
        ),
        ("report.html", b"<!doctype html><html><body><script>alert(1)</script></body></html>\n"),
    ],
)
def test_svg_and_html_are_never_previewed_inline(client, item, member, name, content):
    evidence = _upload(item, member, name, content)
    client.force_login(member)
    page = _page(client, item, evidence)
    assert "?preview=" not in page and 'id="evidence-preview"' not in page
    assert "<script>alert(1)" not in page
    assert client.get(_preview_url(evidence)).status_code == 404
    # Even recorded as an image, bytes that are not one are not served as one.
    Evidence.objects.filter(pk=evidence.pk).update(content_type="image/png")
    assert client.get(_preview_url(evidence)).status_code == 404


def test_a_pdf_is_not_previewed_as_an_image(client, item, member):
    evidence = _upload(item, member, "policy.pdf", pdf_bytes())
    client.force_login(member)
    page = _page(client, item, evidence)
    assert "?preview=" not in page and "<img" not in page
    assert client.get(_preview_url(evidence)).status_code == 404


def test_another_teams_preview_is_404(client, item, member, outsider, other_team):
    evidence = _upload(item, member, "screen.png", png_bytes())
    client.force_login(outsider)
    assert client.get(_preview_url(evidence)).status_code == 404
    assert client.get(_preview_url(evidence, other_team.slug)).status_code == 404
    assert not AuditEvent.objects.filter(action="checklists.evidence.previewed").exists()


def test_only_evidence_of_this_answer_is_previewed_on_its_page(catalog, client, item, member):
    other = attestation_of(item.checklist, "GOPAY-1.3")
    evidence = _upload(other, member, "signin.log", SCRIPTED)
    client.force_login(member)
    assert 'id="evidence-preview"' not in _page(client, item, evidence)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("nobody", 404),
        ("outsider", 404),
        ("member", 200),
        ("lead", 200),
        ("reviewer", 200),
        ("auditor", 200),
    ],
)
def test_the_image_preview_for_every_role(client, request, item, member, role, status):
    evidence = _upload(item, member, "screen.png", png_bytes())
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    response = client.get(_preview_url(evidence))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_the_image_preview_rejects_writes(client, item, member):
    evidence = _upload(item, member, "screen.png", png_bytes())
    client.force_login(member)
    assert client.post(_preview_url(evidence)).status_code == 405
