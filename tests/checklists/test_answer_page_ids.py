"""The answer page, as each role sees it in each review state and after each refused form:
every id once, and every label and description pointing at something that exists."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.models import AnswerStatus
from checklists.services import reviews
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
    upload,
)


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.pointers: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") is not None:
            self.ids[attrs["id"]] += 1
        if tag == "label" and "for" in attrs:
            self.pointers.append(("label for", attrs["for"] or ""))
        for name in ("aria-describedby", "aria-labelledby"):
            for target in (attrs.get(name) or "").split():
                self.pointers.append((name, target))


def assert_ids_sound(html: str) -> None:
    parser = _References()
    parser.feed(html)
    duplicates = sorted(name for name, count in parser.ids.items() if count > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"
    dangling = [(kind, target) for kind, target in parser.pointers if target not in parser.ids]
    assert not dangling, f"pointing at nothing: {dangling}"


def _draft(item, team_member, reviewer):
    return item


def _submitted_without_evidence(item, team_member, reviewer):
    answer(item, team_member, status=AnswerStatus.PARTIAL, justification="Rest in Q1.")
    submit(item, team_member)
    return item


def _submitted_with_evidence(item, team_member, reviewer):
    answer(item, team_member)
    upload(item, team_member)
    submit(item, team_member)
    return item


def _approved(item, team_member, reviewer):
    _submitted_with_evidence(item, team_member, reviewer)
    approve(item, reviewer)
    return item


def _changes_requested(item, team_member, reviewer):
    _submitted_with_evidence(item, team_member, reviewer)
    item.refresh_from_db()
    reviews.review_request_changes(
        attestation=item,
        by=reviewer,
        comment="Show the vault policy.",
        expected_version=item.version,
    )
    return item


STATES = [_draft, _submitted_without_evidence, _submitted_with_evidence, _approved]


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead)


@pytest.mark.parametrize("state", [*STATES, _changes_requested], ids=lambda f: f.__name__)
@pytest.mark.parametrize("role", ["member", "lead", "reviewer", "auditor"])
def test_every_role_in_every_state_gets_sound_ids(client, checklist, request, state, role):
    member, reviewer = request.getfixturevalue("member"), request.getfixturevalue("reviewer")
    item = state(attestation_of(checklist, "GOPAY-1.2"), member, reviewer)
    client.force_login(request.getfixturevalue(role))
    response = client.get(item.get_absolute_url())
    assert response.status_code == 200
    assert_ids_sound(response.content.decode())


def test_a_control_answered_through_its_group_gets_sound_ids(
    client, catalog, team, lead, member, reviewer
):
    grouped_checklist = make_checklist(
        team, lead, period="2026-Q3", providers=("gopay", "codepay", "wechat", "ucanpay")
    )
    grouped = grouped_checklist.attestations.filter(satisfied_through__isnull=False).first()
    for user in (member, reviewer):
        client.force_login(user)
        assert_ids_sound(client.get(grouped.get_absolute_url()).content.decode())
        carrier = grouped.satisfied_through
        assert_ids_sound(client.get(carrier.get_absolute_url()).content.decode())


def _url(name, item):
    return reverse(
        f"checklists:{name}",
        args=[item.checklist.team.slug, item.checklist.period, item.control.ref],
    )


def _error_next_to(html: str, field_id: str) -> str:
    marker = f'class="error" id="{field_id}_error">'
    assert marker in html, f"no error next to {field_id}"
    assert f'aria-describedby="{field_id}_helptext {field_id}_error"' in html or (
        f'aria-describedby="{field_id}_error"' in html
    )
    return html.split(marker, 1)[1].split("</p>", 1)[0]


def test_refused_forms_show_errors_next_to_fields_keep_what_was_typed_and_stay_sound(
    client, checklist, member, reviewer
):
    item = attestation_of(checklist, "GOPAY-1.2")
    client.force_login(member)

    upload_refused = client.post(
        _url("evidence_upload", item),
        {
            "upload": SimpleUploadedFile("tls.txt", b"TLS 1.2 only\n"),
            "description": "",
            "valid_from": "2026-10-01",
            "valid_until": "2026-09-01",
            "expected_version": item.version,
        },
    )
    assert upload_refused.status_code == 400
    html = upload_refused.content.decode()
    assert _error_next_to(html, "upload_description")
    assert "cannot stop being valid before it starts" in _error_next_to(html, "upload_valid_until")
    assert 'value="2026-10-01"' in html
    assert_ids_sound(html)

    link_refused = client.post(
        _url("evidence_link", item),
        {
            "url": "ftp://files.example.com/tls",
            "description": "TLS settings",
            "expected_version": 0,
        },
    )
    assert link_refused.status_code == 400
    html = link_refused.content.decode()
    assert _error_next_to(html, "link_url")
    assert 'value="TLS settings"' in html and 'id="link_description"' in html
    assert_ids_sound(html)

    answer_refused = client.post(
        _url("attestation_save", item),
        {"status": "partial", "statement": "Typed statement.", "expected_version": 0},
    )
    assert answer_refused.status_code == 400
    html = answer_refused.content.decode()
    assert "Typed statement." in html
    assert "a justification is required" in _error_next_to(html, "id_justification")
    assert_ids_sound(html)

    answer(item, member, status=AnswerStatus.PARTIAL, justification="Rest in Q1.")
    submit(item, member)
    item.refresh_from_db()
    client.force_login(reviewer)
    review_refused = client.post(
        _url("review_request_changes", item), {"comment": "   ", "expected_version": item.version}
    )
    assert review_refused.status_code == 400
    html = review_refused.content.decode()
    assert "a comment is required" in _error_next_to(html, "review_comment")
    assert_ids_sound(html)
