import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal.audit import display, exports, selectors, services
from portal.audit.forms import EventFilterForm, KeysetForm
from portal.audit.models import AuditExport, ExportStatus


def _scope_or_404(request: HttpRequest) -> selectors.AuditScope:
    scope = selectors.audit_scope(user=request.user)
    if scope.is_empty:
        raise Http404("No audit pages for you.")
    return scope


def _filter_form(request: HttpRequest, data, scope: selectors.AuditScope) -> EventFilterForm:
    return EventFilterForm(
        data,
        teams=selectors.visible_teams(user=request.user, scope=scope),
        people=selectors.people(scope=scope),
    )


@login_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    scope = _scope_or_404(request)
    form = _filter_form(request, request.GET, scope)
    before = KeysetForm(request.GET).before_value()
    events, older = [], None
    if form.is_valid():
        matching = selectors.events_filter(
            events=selectors.events_for(user=request.user, scope=scope), **form.filters()
        )
        events, older = selectors.events_page(events=matching, before=before)
    older_query = None
    if older is not None:
        query = request.GET.copy()
        query["before"] = older
        older_query = query.urlencode()
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "events": events,
            "rows": display.rows_for(events, user=request.user),
            "older_query": older_query,
            "newest_query": _without_before(request),
            "is_first_page": before is None,
            "filtered": bool(form.is_valid() and form.filters()),
            "narrowed_to": form.narrowed_to(),
            "export_filters": form.filters_for_record().items() if form.is_valid() else (),
            "status": selectors.trail_status(),
        },
    )


def _without_before(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("before", None)
    return query.urlencode()


@login_required
@require_GET
def event_detail(request: HttpRequest, sequence: int) -> HttpResponse:
    event = selectors.event_get_or_404(user=request.user, sequence=sequence)
    (row,) = display.rows_for([event], user=request.user)
    return render(request, "audit/event_detail.html", {"event": event, "row": row})


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export(request: HttpRequest, export_format: str) -> HttpResponse:
    """Stream a small export at once; prepare a large one in the background (a long download
    would outlast the web server's request timeout) and show where it will be."""
    scope = _scope_or_404(request)
    form = _filter_form(request, request.POST, scope)
    if not form.is_valid():
        messages.error(request, "Fix the filters before exporting.")
        return redirect("audit:event_list")
    filters = form.filters_for_record()
    matching = selectors.events_filter(
        events=selectors.events_for(user=request.user, scope=scope), **form.filters()
    )
    limit = settings.AUDIT_EXPORT_STREAM_LIMIT
    if matching[: limit + 1].count() > limit:
        export = exports.export_request(
            by=request.user, export_format=export_format, filters=filters
        )
        return redirect("audit:export_status", pk=export.pk)
    services.log_export_record(by=request.user, filters=filters, export_format=export_format)
    if export_format == "jsonl":
        lines = selectors.events_jsonl_lines(events=matching, filters=filters)
        content_type = "application/jsonl; charset=utf-8"
    else:
        writer = csv.writer(_Echo())
        lines = (writer.writerow(row) for row in selectors.events_csv_rows(events=matching))
        content_type = "text/csv; charset=utf-8"
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="audit-events.{export_format}"'
    return response


@login_required
@require_POST
def event_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")


@login_required
@require_POST
def event_export_jsonl(request: HttpRequest) -> HttpResponse:
    """The verifiable export: portal/audit/offline_verify.py checks it with the public key."""
    return _export(request, "jsonl")


def _own_export_or_404(request: HttpRequest, pk: int) -> AuditExport:
    return get_object_or_404(AuditExport, pk=pk, requested_by=request.user)


@login_required
@require_GET
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    export = _own_export_or_404(request, pk)
    pending = export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    ready = export.status == ExportStatus.DONE
    return render(
        request, "audit/export_status.html", {"export": export, "pending": pending, "ready": ready}
    )


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = _own_export_or_404(request, pk)
    if export.status != ExportStatus.DONE:
        raise Http404("Not ready.")
    response = FileResponse(
        exports.export_file(export).open("rb"),
        as_attachment=True,
        filename=export.download_name,
    )
    response["Cache-Control"] = "private, no-store"
    return response
