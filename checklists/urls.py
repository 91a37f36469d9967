from django.urls import path

from checklists.views import catalog, checklists, reports, reviews

app_name = "checklists"

answer = "teams/<slug:slug>/checklists/<str:period>/<str:ref>/"

urlpatterns = [
    path("catalog/", catalog.control_list, name="control_list"),
    path("catalog/controls/<str:ref>/", catalog.control_detail, name="control_detail"),
    path("catalog/providers/<slug:slug>/", catalog.provider_detail, name="provider_detail"),
    path("catalog/owasp/<str:code>/", catalog.owasp_detail, name="owasp_detail"),
    path("teams/<slug:slug>/checklists/", checklists.checklist_list, name="checklist_list"),
    path("teams/<slug:slug>/checklists/new", checklists.checklist_new, name="checklist_new"),
    path(
        "teams/<slug:slug>/checklists/<str:period>/",
        checklists.checklist_detail,
        name="checklist_detail",
    ),
    path(answer, checklists.attestation_detail, name="attestation_detail"),
    path(answer + "save", checklists.attestation_save, name="attestation_save"),
    path(answer + "submit", checklists.attestation_submit, name="attestation_submit"),
    path(
        answer + "answer-separately",
        checklists.attestation_answer_separately,
        name="attestation_answer_separately",
    ),
    path(answer + "evidence/upload", checklists.evidence_upload, name="evidence_upload"),
    path(answer + "evidence/link", checklists.evidence_link, name="evidence_link"),
    path(
        answer + "evidence/<int:link_id>/withdraw",
        checklists.evidence_withdraw,
        name="evidence_withdraw",
    ),
    path(answer + "approve", reviews.review_approve, name="review_approve"),
    path(answer + "request-changes", reviews.review_request_changes, name="review_request_changes"),
    path(
        "teams/<slug:slug>/evidence/<int:evidence_id>/download",
        checklists.evidence_download,
        name="evidence_download",
    ),
    path("todo/", reviews.todo, name="todo"),
    path("review/", reviews.review_queue, name="review_queue"),
    path("review/approve", reviews.review_bulk_approve, name="review_bulk_approve"),
    path("teams/<slug:slug>/reports/", reports.report_list, name="report_list"),
    path("teams/<slug:slug>/reports/request", reports.report_request, name="report_request"),
    path("teams/<slug:slug>/reports/<int:pk>/", reports.report_status, name="report_status"),
    path(
        "teams/<slug:slug>/reports/<int:pk>/download",
        reports.report_download,
        name="report_download",
    ),
    path("teams/<slug:slug>/reports/<int:pk>/retry", reports.report_retry, name="report_retry"),
    path(
        "reports/organisation/",
        reports.organisation_report_list,
        name="organisation_report_list",
    ),
    path(
        "reports/organisation/request",
        reports.organisation_report_request,
        name="organisation_report_request",
    ),
    path(
        "reports/organisation/<int:pk>/",
        reports.organisation_report_status,
        name="organisation_report_status",
    ),
    path(
        "reports/organisation/<int:pk>/download",
        reports.organisation_report_download,
        name="organisation_report_download",
    ),
    path(
        "reports/organisation/<int:pk>/retry",
        reports.organisation_report_retry,
        name="organisation_report_retry",
    ),
    path("reports/verify/", reports.report_verify, name="report_verify"),
    # --- obligations ---
    # --- schedule and calendar ---
    # --- credentials, contacts, incidents ---
]
