"""What the checklist views share: fetching an answer for a permission, running a form, and
the answer page, which every answer and review action shows again when it refuses."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from checklists import rules
from checklists.forms import AttestationForm, EvidenceLinkForm, EvidenceUploadForm, ReviewForm
from checklists.models import Attestation, ReviewState
from checklists.selectors import assessments as selectors
from checklists.services.obligations import keeper_of
from checklists.views import evidence_preview
from portal.accounts.permissions import get_team_or_404, has_team_perm

REVIEW_NOTES = {
    ReviewState.DRAFT: "Nothing to review: the team has not submitted this answer.",
    ReviewState.CHANGES_REQUESTED: "Changes were requested; the team has not resubmitted yet.",
    ReviewState.APPROVED: None,
}


def attestation_or_404(
    request: HttpRequest, slug: str, period: str, ref: str, perm: str
) -> Attestation:
    """The answer, if the user holds `perm` on its team; 404 otherwise."""
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(selectors.attestation_for_page(team=team, period=period, ref=ref))


def back_to(attestation: Attestation) -> HttpResponse:
    return redirect(attestation.get_absolute_url())


def apply_form(form, action: Callable[..., object]):
    """Validate the form and hand its data to the service. A refusal by the service lands next
    to the field it names, or on the form. Returns what the service returned, or None."""
    if not form.is_valid():
        return None
    try:
        return action(**form.cleaned_data)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            for message in error.messages:
                form.add_error(None, message)
        return None


def announce_errors(request: HttpRequest, form) -> None:
    """For actions that go back to a page without the form: the errors as messages."""
    for field, errors in form.errors.items():
        label = (
            form.fields[field].label or field.replace("_", " ").capitalize()
            if field != "__all__"
            else ""
        )
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def answer_form_for(request: HttpRequest, attestation: Attestation, data=None) -> AttestationForm:
    team = attestation.checklist.team
    return AttestationForm(
        data,
        team=team,
        covered_refs=[covered.control.ref for covered in attestation.covers.all()],
        may_assign=has_team_perm(request.user, "manage_team", team),
        initial={
            "status": attestation.status,
            "statement": attestation.statement,
            "justification": attestation.justification,
            "owner": attestation.owner_id,
            "due_date": attestation.due_date,
            "expected_version": attestation.version,
        },
    )


def review_form_for(attestation: Attestation, data=None) -> ReviewForm:
    """The review form, its comment marked required where the rules make it so (the evidence
    is counted from the page's prefetch: no query)."""
    evidence_count = sum(1 for link in attestation.evidence_links.all() if not link.withdrawn_at)
    return ReviewForm(
        data,
        initial={"expected_version": attestation.version},
        comment_required_because=rules.why_approval_needs_comment(
            status=attestation.status, evidence_count=evidence_count
        )
        or "",
    )


def attestation_page(
    request: HttpRequest,
    attestation: Attestation,
    *,
    answer_form=None,
    upload_form=None,
    link_form=None,
    review_form=None,
    preview_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The answer page. Forms passed in are shown as they were typed, with their errors."""
    team = attestation.checklist.team
    user = request.user
    carrier = attestation.satisfied_through
    can_answer = has_team_perm(user, "attest_team", team) and carrier is None
    can_review = has_team_perm(user, "review_team", team)
    today = timezone.localdate()
    version = {"expected_version": attestation.version}
    approve_refusal = (
        rules.why_not_approvable(
            status=attestation.status,
            review_state=attestation.review_state,
            reviewer_id=user.pk,
            editor_ids=selectors.editors_of(attestation)
            if attestation.review_state == ReviewState.SUBMITTED
            else (),
        )
        if can_review
        else None
    )
    can_approve = can_review and approve_refusal is None
    can_request_changes = (
        can_review and rules.why_no_changes_request(review_state=attestation.review_state) is None
    )
    answer = carrier or attestation
    covered = list(
        carrier.covers.select_related("control__source__provider").order_by(
            "control__source__slug", "control__position"
        )
        if carrier
        else attestation.covers.all()
    )
    decisions = list(attestation.decisions.all())
    links = (
        carrier.evidence_links.select_related("evidence__uploaded_by")
        if carrier
        else attestation.evidence_links.all()
    )
    live_links = [link for link in links if link.withdrawn_at is None]
    evidence_preview.mark_previewable(live_links)
    return render(
        request,
        "checklists/attestation_detail.html",
        {
            "team": team,
            "attestation": attestation,
            "control": attestation.control,
            "answer": answer,
            "is_stale": rules.is_stale(
                review_state=answer.review_state,
                next_review_due=answer.next_review_due,
                today=today,
            ),
            # The obligation whose open occurrence keeps a recurring answer current (or None).
            "obligation_keeper": keeper_of(answer),
            "evidence_links": live_links,
            "preview": evidence_preview.preview_of(request, live_links, preview_id),
            "group_members": [answer.control, *(a.control for a in covered)] if covered else [],
            "can_answer": can_answer,
            "can_submit": can_answer
            and rules.submission_open(
                review_state=attestation.review_state,
                next_review_due=attestation.next_review_due,
                today=today,
            ),
            "can_split": can_answer and bool(covered),
            "can_approve": can_approve,
            "review_note": (
                f"This control is answered through {carrier.control.ref}: review the "
                "group's answer there."
                if carrier
                else REVIEW_NOTES.get(attestation.review_state, approve_refusal)
            )
            if can_review
            else None,
            "can_request_changes": can_request_changes,
            "answer_form": (answer_form or answer_form_for(request, attestation))
            if can_answer
            else None,
            "upload_form": (upload_form or EvidenceUploadForm(initial=version))
            if can_answer
            else None,
            "link_form": (link_form or EvidenceLinkForm(initial=version)) if can_answer else None,
            "review_form": (review_form or review_form_for(attestation)) if can_review else None,
            # A refused decision shows its form again, with the comment and the reason.
            "show_review_form": review_form is not None or can_approve or can_request_changes,
            "changes_request": decisions[0]
            if decisions and attestation.review_state == ReviewState.CHANGES_REQUESTED
            else None,
        },
        status=status,
    )
