"""The reviewers' and auditors' dashboard: where every team they may see stands."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from checklists import charts
from checklists.forms.dashboard_filters import DashboardFilterForm
from checklists.periods import Quarter
from checklists.rules import ProgressState
from checklists.selectors import posture
from portal.accounts.permissions import may_review_any_team, may_see_dashboard, teams_for

TOP_TEAMS = 10


def _url(name: str, *args, **query) -> str:
    kept = {key: value for key, value in query.items() if value}
    url = reverse(name, args=args)
    return f"{url}?{urlencode(kept)}" if kept else url


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)} %"


def _heat_rows(heat: posture.HeatMap, owner: str) -> list[dict]:
    rows = []
    for row in heat.rows:
        checklist = ("checklists:checklist_detail", row.team.slug, heat.period)
        cells = []
        for (slug, name), cell in zip(heat.columns, row.cells, strict=True):
            label = f"{row.team.name}, {name}"
            if cell is None:
                cells.append({"svg": charts.heat_cell(None, label=label)})
                continue
            # The link wraps the picture: a link inside an `<svg role="img">` is hidden from
            # assistive technology.
            cells.append(
                {
                    "svg": charts.heat_cell(
                        cell.share, label=f"{label}: {cell.approved} of {cell.total} approved"
                    ),
                    "url": _url(*checklist, provider=slug, owner=owner),
                }
            )
        rows.append(
            {
                "team": row.team,
                "url": _url(*checklist, owner=owner),
                "cells": cells,
                "approved": row.approved,
                "total": row.total,
                "percent": _percent(row.share),
            }
        )
    return rows


@login_required
@require_GET
def posture_dashboard(request: HttpRequest) -> HttpResponse:
    if not may_see_dashboard(request.user):
        raise Http404  # a team's people have their team's home
    teams = teams_for(request.user, "view_team")
    form = DashboardFilterForm(request.GET, owners=posture.answer_owners(teams))
    filters = form.filters()
    kept = form.kept()
    owner = kept.get("owner", "")
    period = Quarter.current()
    now = timezone.now()
    today = timezone.localdate(now)

    heat = posture.heat_map(teams, period=period, filters=filters)
    queue = posture.review_queue_age(teams, now=now, filters=filters)
    queue_query = posture.queue_filters(filters)
    queue_link = {"provider": queue_query.provider, "severity": queue_query.severity}
    attention = posture.teams_needing_attention(
        teams, period=period, today=today, filters=filters, limit=TOP_TEAMS
    )
    duties = posture.overdue_access_and_rotation(teams, today=today, limit=TOP_TEAMS)
    trend = posture.approved_trend(teams, until=period, filters=filters)

    return render(
        request,
        "checklists/dashboard/posture_dashboard.html",
        {
            "form": form,
            "period": heat.period,
            "columns": [name for _, name in heat.columns],
            "heat_rows": _heat_rows(heat, owner),
            "heat_legend": charts.heat_legend(title="Share of controls approved"),
            "without_checklist": [
                {"team": team, "url": reverse("checklists:checklist_list", args=[team.slug])}
                for team in heat.without_checklist
            ],
            "queue": queue,
            "queue_is_open": may_review_any_team(request.user),
            "queue_url": _url("checklists:review_queue", **queue_link),
            "queue_ages": [
                (days, count, _url("checklists:review_queue", older_than_days=days, **queue_link))
                for days, count in queue.older_than.items()
            ],
            "queue_filter_note": bool(filters.owner) or kept.get("provider") == posture.ASVS,
            "attention": [
                {
                    "team": team,
                    "overdue": team.overdue,
                    "stale": team.stale,
                    "schedule_url": reverse("checklists:team_schedule", args=[team.slug]),
                    "stale_url": _url(
                        "checklists:checklist_detail",
                        team.slug,
                        heat.period,
                        state=ProgressState.STALE,
                        provider=kept.get("provider", ""),
                        owner=owner,
                    ),
                }
                for team in attention
            ],
            "duties": duties,
            "trend": trend,
            "trend_chart": charts.sparkline(
                [point.share for point in trend],
                title="Share of controls approved, last four quarters",
                labels=[point.period for point in trend],
            ),
            "trend_rows": [
                {
                    "period": point.period,
                    "approved": point.approved,
                    "total": point.total,
                    "percent": _percent(point.share),
                }
                for point in trend
            ],
        },
    )
