"""Answer rules applied by the services and pages: whatever the entry point, the same refusals."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from checklists.models import AnswerStatus, Attestation, Evidence, ReviewState
from checklists.selectors.assessments import review_queue
from checklists.services import answers, evidence
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import answer, make_checklist, submit
from tests.conftest import make_user


@pytest.fixture
def item(catalog, team, lead):
    """A GoPay control in no equivalence group."""
    checklist = make_checklist(team, lead, providers=("gopay",))
    return (
        checklist.attestations.filter(control__equivalence_group__isnull=True)
        .select_related("control")
        .order_by("control__position")
        .first()
    )


def _url(name, item):
    return reverse(
        f"checklists:{name}",
        args=[item.checklist.team.slug, item.checklist.period, item.control.ref],
    )


def test_submit_saves_what_was_typed_first(client, item, member):
    answer(item, member, statement="Old text.")
    item.refresh_from_db()
    client.force_login(member)
    response = client.post(
        _url("attestation_submit", item),
        {"status": "implemented", "statement": "New text, typed just now.", "expected_version": 1},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.statement == "New text, typed just now."
    assert item.review_state == ReviewState.SUBMITTED and item.version == 2
    assert item.versions.get(number=2).statement == "New text, typed just now."


def test_a_refused_submit_keeps_the_typed_text_and_changes_nothing(client, item, member):
    client.force_login(member)
    response = client.post(
        _url("attestation_submit", item),
        {"status": "partial", "statement": "Half done, typed.", "expected_version": 0},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Half done, typed." in page and "a justification is required" in page
    item.refresh_from_db()
    assert item.version == 0 and item.review_state == ReviewState.DRAFT


def test_an_answer_set_back_to_unanswered_leaves_the_review_queue(item, member, reviewer):
    answer(item, member)
    submit(item, member)
    assert item in review_queue(reviewer)
    answer(item, member, status=AnswerStatus.UNANSWERED, statement="")
    item.refresh_from_db()
    assert item.review_state == ReviewState.DRAFT and item.submitted_at is None
    assert item not in review_queue(reviewer)


def _save(item, by, **fields):
    item.refresh_from_db()
    values = {
        "status": item.status,
        "statement": item.statement,
        "justification": item.justification,
        "owner": item.owner,
        "due_date": item.due_date,
    }
    return answers.attestation_save(
        attestation=item, by=by, expected_version=item.version, **(values | fields)
    )


def test_only_a_lead_assigns_owners(item, member, lead):
    with pytest.raises(ValidationError, match="Only a team lead can assign or change the owner."):
        _save(item, member, owner=member)
    _save(item, lead, owner=member)
    item.refresh_from_db()
    assert item.owner == member
    assert AuditEvent.objects.filter(action="checklists.attestation.assigned").count() == 1


def test_the_owner_must_be_in_the_team(item, lead, outsider, reviewer):
    for stranger in (outsider, reviewer):
        with pytest.raises(ValidationError, match="The owner must be a member of the team."):
            _save(item, lead, owner=stranger)
    item.refresh_from_db()
    assert item.owner is None


def test_a_member_sees_the_owner_but_cannot_change_it(client, item, member, lead):
    _save(item, lead, owner=lead)
    client.force_login(member)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "A team lead assigns owners." in page
    client.post(
        _url("attestation_save", item),
        {"status": "implemented", "statement": "x", "owner": member.pk, "expected_version": 0},
    )
    item.refresh_from_db()
    assert item.owner == lead and item.statement == "x"


def test_links_must_be_https_whatever_the_entry_point(item, member):
    with pytest.raises(ValidationError, match="Link to an https:// address."):
        evidence.evidence_add_link(
            attestation=item,
            url="http://wiki.example.com/page",
            description="Wiki",
            by=member,
            expected_version=item.version,
        )
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    "values",
    [
        {"status": AnswerStatus.UNANSWERED, "review_state": ReviewState.SUBMITTED},
        {"status": AnswerStatus.UNANSWERED, "review_state": ReviewState.APPROVED},
        {"status": AnswerStatus.PARTIAL, "justification": ""},
        {"status": AnswerStatus.NOT_APPLICABLE, "justification": ""},
        {"status": AnswerStatus.NOT_IMPLEMENTED, "justification": ""},
    ],
)
def test_the_database_refuses_impossible_answers(item, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        Attestation.objects.filter(pk=item.pk).update(**values)


def test_the_database_refuses_an_answer_on_a_covered_control(catalog, team, lead):
    checklist = make_checklist(team, lead, providers=("gopay", "codepay", "wechat", "ucanpay"))
    covered = checklist.attestations.filter(satisfied_through__isnull=False).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Attestation.objects.filter(pk=covered.pk).update(
            status=AnswerStatus.IMPLEMENTED, statement="x"
        )


def test_refused_forms_keep_what_was_typed(client, item, member, reviewer, team):
    client.force_login(member)
    upload = client.post(
        reverse(
            "checklists:evidence_upload",
            args=[team.slug, item.checklist.period, item.control.ref],
        ),
        {"description": "Quarterly scan, typed.", "expected_version": 0},
    )
    assert upload.status_code == 400 and "Quarterly scan, typed." in upload.content.decode()
    link = client.post(
        _url("evidence_link", item),
        {"url": "http://x.example.com/", "description": "Link, typed.", "expected_version": 0},
    )
    assert link.status_code == 400
    assert "Link, typed." in link.content.decode()
    assert "Link to an https:// address." in link.content.decode()
    created = client.post(
        reverse("checklists:checklist_new", args=[team.slug]),
        {"period": "2026-Q9", "asvs_level": 0},
    )
    assert created.status_code == 400
    assert 'value="2026-Q9"' in created.content.decode()
    assert "is not a quarter such as 2026-Q4" in created.content.decode()
    client.force_login(reviewer)
    review = client.post(
        _url("review_approve", item), {"comment": "Looks fine, typed.", "expected_version": 0}
    )
    assert review.status_code == 400
    assert "Looks fine, typed." in review.content.decode()
    assert "only an answer awaiting review can be approved" in review.content.decode()


def test_the_answer_page_says_who_set_an_interval(client, catalog, team, lead, member):
    checklist = make_checklist(team, lead, providers=("codepay", "ucanpay"))
    client.force_login(member)
    provider_set = checklist.attestations.get(control__ref="CODEPAY-1.4a.1")
    assert (
        "CodePay requires it every 90 days"
        in client.get(provider_set.get_absolute_url()).content.decode()
    )
    catalog_set = (
        checklist.attestations.filter(
            control__recurrence_set_by="catalog", satisfied_through__isnull=True
        )
        .select_related("control")
        .first()
    )
    page = client.get(catalog_set.get_absolute_url()).content.decode()
    assert f"the catalog suggests every {catalog_set.control.recurrence_days} days" in page
    control_page = client.get(
        reverse("checklists:control_detail", args=["CODEPAY-1.4a.1"])
    ).content.decode()
    assert "CodePay requires it every 90 days" in control_page


def test_another_teams_member_cannot_be_made_owner_through_the_page(client, item, lead, other_team):
    stranger = make_user("stranger")
    from portal.accounts import services as accounts

    accounts.membership_add(team=other_team, user=stranger, role="member")
    client.force_login(lead)
    response = client.post(
        _url("attestation_save", item),
        {"status": "unanswered", "owner": stranger.pk, "expected_version": 0},
    )
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.owner is None


@pytest.mark.django_db(transaction=True)
def test_the_migration_releases_unanswered_answers_stuck_with_the_reviewers():
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("checklists", "0001_initial")])
    old = executor.loader.project_state([("checklists", "0001_initial")]).apps
    team = old.get_model("accounts", "Team").objects.create(name="T", slug="t")
    user = old.get_model("auth", "User").objects.create(username="u")
    provider = old.get_model("checklists", "Provider").objects.create(slug="p", name="P")
    source = old.get_model("checklists", "Source").objects.create(
        slug="s", title="S", kind="provider-guide", provider=provider
    )
    control = old.get_model("checklists", "Control").objects.create(
        ref="P-1",
        source=source,
        section="1",
        title="t",
        requirement="r",
        category="credentials",
        severity="high",
        severity_reason="r",
        evidence_guidance="e",
        recurrence_days=90,
    )
    checklist = old.get_model("checklists", "Checklist").objects.create(
        team=team, period="2026-Q4", created_by=user
    )
    stuck = old.get_model("checklists", "Attestation").objects.create(
        checklist=checklist, control=control, status="unanswered", review_state="submitted"
    )
    call_command("migrate", "checklists", verbosity=0)
    stuck = Attestation.objects.get(pk=stuck.pk)
    assert stuck.review_state == ReviewState.DRAFT and stuck.submitted_at is None
    assert Attestation._meta.model.objects.get(pk=stuck.pk).control.recurrence_set_by == "catalog"


def test_evidence_can_be_removed_from_the_page(client, item, member):
    from django.core.files.uploadedfile import SimpleUploadedFile

    evidence.evidence_add_file(
        attestation=item,
        upload=SimpleUploadedFile("scan.txt", b"no findings\n"),
        description="Scan",
        by=member,
        expected_version=0,
    )
    client.force_login(member)
    page = client.get(item.get_absolute_url()).content.decode()
    assert '<button type="submit" class="danger">Remove</button>' in page


def test_a_bare_submit_still_checks_the_stored_answer(item, member):
    Attestation.objects.filter(pk=item.pk).update(
        status=AnswerStatus.IMPLEMENTED, statement="", version=1
    )
    item.refresh_from_db()
    with pytest.raises(ValidationError, match="Describe how the control is met."):
        answers.attestation_submit(attestation=item, by=member, expected_version=1)


def test_a_reviewer_on_a_covered_control_is_sent_to_the_groups_answer(
    client, catalog, team, lead, reviewer
):
    checklist = make_checklist(team, lead, providers=("gopay", "codepay", "wechat", "ucanpay"))
    covered = checklist.attestations.filter(satisfied_through__isnull=False).first()
    client.force_login(reviewer)
    page = client.get(covered.get_absolute_url()).content.decode()
    assert f"answered through {covered.satisfied_through.control.ref}: review the" in page
    assert "Approve version" not in page


def test_a_covered_control_shows_the_evidence_of_the_answer_it_relies_on(
    client, catalog, team, lead, member
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    checklist = make_checklist(team, lead, providers=("gopay", "codepay", "wechat", "ucanpay"))
    covered = checklist.attestations.filter(satisfied_through__isnull=False).first()
    evidence.evidence_add_file(
        attestation=covered.satisfied_through,
        upload=SimpleUploadedFile("group-proof.txt", b"all members met\n"),
        description="Proof for the group",
        by=member,
        expected_version=0,
    )
    client.force_login(member)
    page = client.get(covered.get_absolute_url()).content.decode()
    assert "group-proof.txt" in page and "which carries the answer" in page
    assert "Remove</button>" not in page  # removed only on the carrier's page


def test_editing_an_approved_answer_says_its_approval_was_withdrawn(client, item, member, reviewer):
    from tests.checklists.assessment_helpers import approve

    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    item.refresh_from_db()
    client.force_login(member)
    response = client.post(
        _url("attestation_save", item),
        {"status": "implemented", "statement": "Now also on the admin API.", "expected_version": 1},
        follow=True,
    )
    page = response.content.decode()
    assert "Answer saved. Its approval was withdrawn: the answer needs review again." in page
    item.refresh_from_db()
    assert item.review_state == ReviewState.SUBMITTED
    approve(item, reviewer)
    item.refresh_from_db()
    response = client.post(
        _url("evidence_link", item),
        {
            "url": "https://wiki.example.com/admin-api-tls",
            "description": "Admin API listener settings",
            "expected_version": item.version,
        },
        follow=True,
    )
    assert "Link added. Its approval was withdrawn" in response.content.decode()


def test_saving_an_answer_awaiting_review_says_only_that_it_was_saved(client, item, member):
    answer(item, member)
    submit(item, member)
    client.force_login(member)
    response = client.post(
        _url("attestation_save", item),
        {"status": "implemented", "statement": "Reworded.", "expected_version": 1},
        follow=True,
    )
    page = response.content.decode()
    assert "Answer saved." in page and "approval was withdrawn" not in page
