"""Signed reports: a team's (for its leads, reviewers and auditors) and the organisation's (for
reviewers and auditors): request, watch, download; and the verify page for anyone signed in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklists.models import Checklist, ExportStatus, ReportExport, ReportScope
from checklists.reports import services
from checklists.reports.forms import ReportRequestForm, ReportVerifyForm
from portal.accounts.models import Team
from portal.accounts.permissions import get_team_or_404, may_export_organisation

POLL_SECONDS = 2


def _organisation_or_404(request: HttpRequest) -> None:
    """The organisation's reports are for those who may export every team's."""
    if not may_export_organisation(request.user):
        raise Http404


def _scope_of(request: HttpRequest, slug: str | None) -> Team | None:
    """The team (by slug) the user may export, or None for the organisation; 404 otherwise."""
    if slug is None:
        _organisation_or_404(request)
        return None
    return get_team_or_404(request.user, slug, "export_team")


def _export_or_404(request: HttpRequest, slug: str | None, pk: int) -> ReportExport:
    team = _scope_of(request, slug)
    return get_object_or_404(
        ReportExport.objects.select_related("team", "requested_by"),
        pk=pk,
        team=team,
        scope=ReportScope.TEAM if team else ReportScope.ORGANISATION,
    )


def _periods(team: Team | None) -> list[str]:
    checklists = Checklist.objects.filter(team=team) if team else Checklist.objects.all()
    return list(checklists.order_by("-period").values_list("period", flat=True).distinct())


def _list_url(team: Team | None) -> str:
    if team is None:
        return reverse("checklists:organisation_report_list")
    return reverse("checklists:report_list", args=[team.slug])


def _export_urls(export: ReportExport) -> dict[str, str]:
    if export.team_id is None:
        args, prefix = [export.pk], "checklists:organisation_report_"
    else:
        args, prefix = [export.team.slug, export.pk], "checklists:report_"
    return {
        "download_url": reverse(prefix + "download", args=args),
        "retry_url": reverse(prefix + "retry", args=args),
        "list_url": _list_url(export.team),
    }


def _list_page(request: HttpRequest, team, *, form=None, status: int = 200) -> HttpResponse:
    periods = _periods(team)
    exports = ReportExport.objects.filter(
        team=team, scope=ReportScope.TEAM if team else ReportScope.ORGANISATION
    ).select_related("team", "requested_by")
    return render(
        request,
        "reports/report_list.html",
        {
            "team": team,
            "subject": team.name if team else "the organisation",
            "exports": exports.order_by("-requested_at", "-pk"),
            "form": form or ReportRequestForm(periods=periods),
            "has_periods": bool(periods),
            "request_url": reverse("checklists:report_request", args=[team.slug])
            if team
            else reverse("checklists:organisation_report_request"),
        },
        status=status,
    )


def _request(request: HttpRequest, slug: str | None) -> HttpResponse:
    team = _scope_of(request, slug)
    form = ReportRequestForm(request.POST, periods=_periods(team))
    if not form.is_valid():
        return _list_page(request, team, form=form, status=400)
    try:
        export, created = services.report_request(
            team=team, period=form.cleaned_data["period"], by=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _list_page(request, team, form=form, status=400)
    if not created:
        messages.info(request, f"{export} was already {export.get_status_display().lower()}.")
    return redirect(export.get_absolute_url())


def _status(request: HttpRequest, slug: str | None, pk: int) -> HttpResponse:
    export = _export_or_404(request, slug, pk)
    response = render(
        request,
        "reports/report_status.html",
        {
            "team": export.team,
            "export": export,
            "refresh_seconds": POLL_SECONDS if export.is_active else None,
            "can_retry": export.status == ExportStatus.FAILED,
            **_export_urls(export),
        },
    )
    if export.is_active:
        response["Refresh"] = str(POLL_SECONDS)  # the small poll: the browser reloads
    return response


def _retry(request: HttpRequest, slug: str | None, pk: int) -> HttpResponse:
    export = _export_or_404(request, slug, pk)
    try:
        services.report_retry(export=export, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(export.get_absolute_url())


def _download(request: HttpRequest, slug: str | None, pk: int) -> HttpResponse:
    export = _export_or_404(request, slug, pk)
    if export.status != ExportStatus.DONE:
        return redirect(export.get_absolute_url())
    response = StreamingHttpResponse(
        services.report_open(export=export, by=request.user), content_type="application/pdf"
    )
    response["Content-Length"] = str(export.size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export.download_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# A team's reports ---------------------------------------------------------------------------


@login_required
@require_GET
def report_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _list_page(request, _scope_of(request, slug))


@login_required
@require_POST
def report_request(request: HttpRequest, slug: str) -> HttpResponse:
    return _request(request, slug)


@login_required
@require_GET
def report_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _status(request, slug, pk)


@login_required
@require_POST
def report_retry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _retry(request, slug, pk)


@login_required
@require_GET
def report_download(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _download(request, slug, pk)


# The organisation's reports -----------------------------------------------------------------


@login_required
@require_GET
def organisation_report_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, _scope_of(request, None))


@login_required
@require_POST
def organisation_report_request(request: HttpRequest) -> HttpResponse:
    return _request(request, None)


@login_required
@require_GET
def organisation_report_status(request: HttpRequest, pk: int) -> HttpResponse:
    return _status(request, None, pk)


@login_required
@require_POST
def organisation_report_retry(request: HttpRequest, pk: int) -> HttpResponse:
    return _retry(request, None, pk)


@login_required
@require_GET
def organisation_report_download(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, None, pk)


# Verification -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report_verify(request: HttpRequest) -> HttpResponse:
    result = None
    status = 200
    if request.method == "POST":
        form = ReportVerifyForm(request.POST, request.FILES)
        if form.is_valid():
            result = services.report_verify(data=form.cleaned_data["file"])
        else:
            status = 400
    else:
        form = ReportVerifyForm()
    return render(
        request, "reports/report_verify.html", {"form": form, "result": result}, status=status
    )
