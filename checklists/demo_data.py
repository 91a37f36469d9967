"""Demo checklists in every state, for `seed_demo`. Everything goes through the services."""

import json
import struct
import zlib
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from checklists.models import AnswerStatus, Attestation, Provider, ReviewState
from checklists.periods import Quarter
from checklists.services import answers, evidence, reviews
from checklists.services.checklists import checklist_create
from portal.accounts.models import Role, Team

TEAM_PROVIDERS = [
    ("gopay", "mixpay"),
    ("codepay", "wechat"),
    ("ucanpay", "gopay"),
]


def _png(width: int = 48, height: int = 24) -> bytes:
    """A small real PNG (a grey bar), so the demo shows an image evidence file."""
    rows = b"".join(b"\x00" + bytes([0x88, 0x99, 0xAA]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


EVIDENCE_FILES = [
    (
        "token-storage.md",
        "# Token storage\n\nThe client token lives in the secrets manager under\n"
        "`prod/miniapp/provider-client-token`; only the payments service role can read it.\n"
        "Front-end bundles are checked in CI for token-shaped strings.\n",
        "How provider tokens are stored and who can read them",
    ),
    (
        "access-review.csv",
        "account,role,decision,reviewer\nana,admin,keep,lead\nbudi,operator,revoke,lead\n"
        "citra,finance,change to read-only,lead\n",
        "Quarterly review of merchant platform accounts",
    ),
    (
        "log-redaction.json",
        json.dumps(
            {"logger": "payments", "redact": ["Authorization", "client_token", "user_token"]},
            indent=2,
        )
        + "\n",
        "Logger configuration masking tokens",
    ),
]


def _answer(
    attestation: Attestation, user, status: str, statement: str, justification: str = ""
) -> Attestation:
    return answers.attestation_save(
        attestation=attestation,
        by=user,
        status=status,
        statement=statement,
        justification=justification,
        owner=attestation.owner,
        due_date=attestation.due_date,
        addresses_all=True,  # the demo statements are written for the whole group
        expected_version=attestation.version,
    )


def _assign(attestations: list[Attestation], lead, owner, *, due_in_days: int) -> None:
    for attestation in attestations:
        answers.attestation_save(
            attestation=attestation,
            by=lead,
            status=attestation.status,
            statement=attestation.statement,
            justification=attestation.justification,
            owner=owner,
            due_date=timezone.localdate() + timedelta(days=due_in_days),
            addresses_all=True,
            expected_version=attestation.version,
        )
        attestation.refresh_from_db()


def _attach_files(attestation: Attestation, user, files) -> Attestation:
    for name, content, description in files:
        data = content if isinstance(content, bytes) else content.encode()
        evidence.evidence_add_file(
            attestation=attestation,
            upload=SimpleUploadedFile(name, data),
            description=description,
            valid_from=timezone.localdate() - timedelta(days=30),
            by=user,
            expected_version=attestation.version,
        )
        attestation.refresh_from_db()
    return attestation


def seed_team_checklists(team: Team, reviewer, index: int) -> None:
    """Last quarter's checklist, mostly approved (one recurring approval gone stale), and this
    quarter's, started from it, with answers in every state."""
    if team.checklists.exists():
        return
    lead = team.memberships.get(role=Role.LEAD).user
    dev = team.memberships.filter(role=Role.MEMBER).order_by("user__username").first().user
    slugs = TEAM_PROVIDERS[index % len(TEAM_PROVIDERS)]
    providers = list(Provider.objects.filter(slug__in=slugs))
    this_quarter = Quarter.current()
    last = checklist_create(
        team=team, period=str(this_quarter.previous()), providers=providers, by=lead
    )
    primaries = list(
        last.attestations.filter(
            satisfied_through__isnull=True, control__source__provider__isnull=False
        )
        .select_related("control")
        .order_by("pk")[:8]
    )
    _assign(primaries, lead, dev, due_in_days=10)
    for number, attestation in enumerate(primaries):
        attestation = _answer(
            attestation,
            dev,
            AnswerStatus.IMPLEMENTED,
            f"Met as described in the runbook, section {number + 1}.",
        )
        if number < 2:
            attestation = _attach_files(attestation, dev, EVIDENCE_FILES[number : number + 1])
        answers.attestation_submit(
            attestation=attestation, by=dev, expected_version=attestation.version
        )
        reviews.review_approve(
            attestation=attestation, by=reviewer, expected_version=attestation.version
        )
    recurring = (
        last.attestations.filter(
            review_state=ReviewState.APPROVED, control__recurrence_days__isnull=False
        ).first()
        or last.attestations.filter(review_state=ReviewState.APPROVED).first()
    )
    # Demo history: this approval was given long enough ago that it is due again.
    Attestation.objects.filter(pk=recurring.pk).update(
        approved_at=timezone.now() - timedelta(days=120),
        next_review_due=timezone.localdate() - timedelta(days=30),
    )

    current = checklist_create(
        team=team,
        period=str(this_quarter),
        providers=providers,
        asvs_level=1 if index == 0 else 0,
        by=lead,
        copy_previous=True,
    )
    fresh = list(
        current.attestations.filter(
            satisfied_through__isnull=True,
            status=AnswerStatus.UNANSWERED,
            control__source__provider__isnull=False,
        )
        .select_related("control")
        .order_by("pk")[:10]
    )
    if len(fresh) < 8:
        return
    # "Not applicable" (fresh[4]) is decided control by control, never for a whole group.
    fresh.sort(key=lambda attestation: attestation.covers.exists())
    _assign(fresh[:6], lead, dev, due_in_days=10)
    _assign(fresh[6:8], lead, dev, due_in_days=5)  # unanswered, owned by the developer, due soon
    # Awaiting review, with evidence of each kind.
    waiting = _answer(
        fresh[0], dev, AnswerStatus.IMPLEMENTED, "Tokens are only held by the back end."
    )
    waiting = _attach_files(
        waiting, dev, [EVIDENCE_FILES[2], ("dashboard.png", _png(), "Secret scan dashboard")]
    )
    evidence.evidence_add_link(
        attestation=waiting,
        url="https://wiki.example.com/security/token-handling",
        description="Internal runbook page",
        by=dev,
        expected_version=waiting.version,
    )
    waiting.refresh_from_db()
    answers.attestation_submit(attestation=waiting, by=dev, expected_version=waiting.version)
    # Partial, submitted.
    partial = _answer(
        fresh[1],
        lead,
        AnswerStatus.PARTIAL,
        "Done for the payments service.",
        "The rewards service follows in Q1.",
    )
    answers.attestation_submit(attestation=partial, by=lead, expected_version=partial.version)
    # Sent back by the reviewer.
    sent_back = _answer(fresh[2], dev, AnswerStatus.IMPLEMENTED, "We do this.")
    answers.attestation_submit(attestation=sent_back, by=dev, expected_version=sent_back.version)
    reviews.review_request_changes(
        attestation=sent_back,
        by=reviewer,
        comment="Say where and how this is enforced, and attach the record that shows it.",
        expected_version=sent_back.version,
    )
    # Approved this quarter.
    done = _answer(
        fresh[3], dev, AnswerStatus.IMPLEMENTED, "Enforced by the API gateway for every route."
    )
    answers.attestation_submit(attestation=done, by=dev, expected_version=done.version)
    reviews.review_approve(attestation=done, by=reviewer, expected_version=done.version)
    # Not applicable and not implemented, still drafts.
    _answer(
        fresh[4],
        lead,
        AnswerStatus.NOT_APPLICABLE,
        "",
        "The integration does not use this feature.",
    )
    _answer(
        fresh[5], dev, AnswerStatus.NOT_IMPLEMENTED, "", "Planned for next quarter; ticket SEC-142."
    )
