"""A team's home: where its people start, with the team's progress, their own work, what
falls due soon, the controls nobody owns and the last signed report."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from checklists import charts
from checklists.selectors import team_home as selectors
from checklists.selectors.assessments import NO_OWNER
from portal.accounts.permissions import get_team_or_404, has_team_perm


def _checklist_urls(team, checklist) -> dict[str, str]:
    if checklist is None:
        return {"checklists_url": reverse("checklists:checklist_list", args=[team.slug])}
    url = checklist.get_absolute_url()
    return {
        "checklist_url": url,
        "unowned_url": f"{url}?owner={NO_OWNER}",
        "assign_url": f"{url}?owner={NO_OWNER}#controls",
    }


def _progress_charts(home: selectors.TeamHome) -> list[dict]:
    """The current checklist's progress by provider, then by category. The bars carry no
    links: links inside an `<svg role="img">` are hidden from assistive technology."""
    if home.checklist is None:
        return []
    period = home.checklist.period
    return [
        {
            "caption": "By provider",
            "svg": charts.stacked_bars(
                home.progress["provider"], title=f"{period} progress by provider"
            ),
        },
        {
            "caption": "By category",
            "svg": charts.stacked_bars(
                home.progress["category"], title=f"{period} progress by category"
            ),
        },
    ]


def _report_urls(team, report, *, may_export: bool) -> dict[str, str]:
    urls = {"verify_url": reverse("checklists:report_verify")}
    if may_export:
        urls["reports_url"] = reverse("checklists:report_list", args=[team.slug])
        if report is not None:
            urls["download_url"] = reverse(
                "checklists:report_download", args=[team.slug, report.pk]
            )
            urls["report_url"] = report.get_absolute_url()
    return urls


@login_required
@require_GET
def team_home(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    may_attest = has_team_perm(request.user, "attest_team", team)
    may_export = has_team_perm(request.user, "export_team", team)
    today = timezone.localdate()
    home = selectors.team_home(team, request.user, today=today, with_todo=may_attest)
    return render(
        request,
        "checklists/team_home/team_home.html",
        {
            "team": team,
            "home": home,
            "today": today,
            "due_days": selectors.DUE_DAYS,
            "progress_charts": _progress_charts(home),
            "may_assign": has_team_perm(request.user, "manage_team", team),
            **_checklist_urls(team, home.checklist),
            **_report_urls(team, home.report, may_export=may_export),
        },
    )
