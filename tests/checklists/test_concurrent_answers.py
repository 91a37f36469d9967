"""Many people at once on PostgreSQL: copying a quarter while others save, approve and bulk
approve never deadlocks, loses no update, and leaves a chain that verifies."""

import threading

import pytest
from django.db import connection

from checklists.models import Attestation, ReviewState
from checklists.services import answers, reviews
from portal.audit.verification import verify_chain
from tests.audit.conftest import require_postgresql
from tests.checklists.assessment_helpers import answer, make_checklist, submit
from tests.conftest import make_user

PROVIDERS = ("codepay", "gopay", "mixpay", "ucanpay", "wechat")
ROUNDS = 3


def _run_together(*jobs) -> list[BaseException]:
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            start.wait()
            job()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a job hung"
    return errors


@pytest.mark.django_db(transaction=True)
def test_copying_a_quarter_never_deadlocks_with_saves_and_approvals(catalog, team, lead, member):
    require_postgresql("Concurrent answers")
    reviewer_one, reviewer_two = make_user("rev-one"), make_user("rev-two")
    from django.contrib.auth.models import Group

    from portal.accounts.permissions import REVIEWERS_GROUP

    for reviewer in (reviewer_one, reviewer_two):
        reviewer.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    for round_number in range(ROUNDS):
        _copy_round(team, lead, member, reviewer_one, reviewer_two, year=2030 + round_number)
    result = verify_chain(chunk_size=500)
    assert result.ok, result.problem


def _copy_round(team, lead, member, reviewer_one, reviewer_two, *, year: int) -> None:
    checklist = make_checklist(team, lead, period=f"{year}-Q1", providers=PROVIDERS)
    carriers = list(
        checklist.attestations.filter(satisfied_through__isnull=True).order_by("pk")[:40]
    )
    for item in carriers[:30]:
        answer(item, member)
    for item in carriers[:20]:
        submit(item, member)
    to_edit, to_approve, to_bulk = carriers[20:30], carriers[:10], carriers[10:20]
    edits = {}

    def copy():
        make_checklist(team, lead, period=f"{year}-Q2", providers=PROVIDERS, copy_previous=True)

    def save():
        for number, item in enumerate(to_edit):
            item.refresh_from_db()
            text = f"Edited while copying, {year}, item {number}."
            answers.attestation_save(
                attestation=item,
                by=member,
                status=item.status,
                statement=text,
                justification=item.justification,
                owner=item.owner,
                due_date=item.due_date,
                addresses_all=True,
                expected_version=item.version,
            )
            edits[item.pk] = text

    def approve():
        for item in to_approve:
            item.refresh_from_db()
            reviews.review_approve(attestation=item, by=reviewer_one, expected_version=item.version)

    def bulk():
        fresh = [Attestation.objects.get(pk=item.pk) for item in to_bulk]
        _, refused = reviews.review_bulk_approve(attestations=fresh, by=reviewer_two)
        assert not refused, refused

    errors = _run_together(copy, save, approve, bulk)
    assert errors == [], errors  # a deadlock shows here as OperationalError
    for pk, text in edits.items():  # no lost update
        assert Attestation.objects.get(pk=pk).statement == text
    for item in to_approve + to_bulk:
        assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.APPROVED
    assert team.checklists.filter(period=f"{year}-Q2").exists()
