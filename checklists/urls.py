from django.urls import path

from checklists.views import (
    access_decisions,
    access_review_export,
    access_reviews,
    catalog,
    checklists,
    credentials,
    dashboards,
    evidence_preview,
    incidents,
    obligations,
    oscal,
    reports,
    reviews,
    schedule,
    team_home,
)

app_name = "checklists"

answer = "teams/<slug:slug>/checklists/<str:period>/<str:ref>/"

urlpatterns = [
    # Dashboards
    path("dashboard/", dashboards.posture_dashboard, name="posture_dashboard"),
    # Team home
    path("teams/<slug:slug>/home/", team_home.team_home, name="team_home"),
    path("catalog/", catalog.control_list, name="control_list"),
    path("catalog/controls/<str:ref>/", catalog.control_detail, name="control_detail"),
    path("catalog/providers/<slug:slug>/", catalog.provider_detail, name="provider_detail"),
    path("catalog/owasp/<str:code>/", catalog.owasp_detail, name="owasp_detail"),
    path("catalog/oscal.json", oscal.oscal_catalog, name="oscal_catalog"),
    path("teams/<slug:slug>/checklists/", checklists.checklist_list, name="checklist_list"),
    path("teams/<slug:slug>/checklists/new", checklists.checklist_new, name="checklist_new"),
    path(
        "teams/<slug:slug>/checklists/<str:period>/",
        checklists.checklist_detail,
        name="checklist_detail",
    ),
    path(
        "teams/<slug:slug>/checklists/<str:period>/owners",
        checklists.checklist_assign_owner,
        name="checklist_assign_owner",
    ),
    path(
        "teams/<slug:slug>/checklists/<str:period>/oscal.json",
        oscal.oscal_assessment_results,
        name="oscal_assessment_results",
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
    path(
        "teams/<slug:slug>/evidence/<int:evidence_id>/preview",
        evidence_preview.evidence_preview,
        name="evidence_preview",
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
    path("teams/<slug:slug>/obligations/", obligations.obligation_list, name="obligation_list"),
    path("teams/<slug:slug>/obligations/new", obligations.obligation_new, name="obligation_new"),
    path(
        "teams/<slug:slug>/obligations/<int:pk>/",
        obligations.obligation_detail,
        name="obligation_detail",
    ),
    path(
        "teams/<slug:slug>/obligations/<int:pk>/edit",
        obligations.obligation_edit,
        name="obligation_edit",
    ),
    path(
        "teams/<slug:slug>/obligations/<int:pk>/retire",
        obligations.obligation_retire,
        name="obligation_retire",
    ),
    path(
        "teams/<slug:slug>/obligations/<int:obligation_pk>/occurrences/<int:pk>/",
        obligations.occurrence_detail,
        name="occurrence_detail",
    ),
    path(
        "teams/<slug:slug>/obligations/<int:obligation_pk>/occurrences/<int:pk>/complete",
        obligations.occurrence_complete,
        name="occurrence_complete",
    ),
    path(
        "teams/<slug:slug>/obligations/<int:obligation_pk>/occurrences/<int:pk>/confirm",
        obligations.occurrence_confirm,
        name="occurrence_confirm",
    ),
    path(
        "teams/<slug:slug>/obligations/<int:obligation_pk>/occurrences/<int:pk>/send-back",
        obligations.occurrence_send_back,
        name="occurrence_send_back",
    ),
    path(
        "teams/<slug:slug>/obligations/<int:obligation_pk>/occurrences/<int:pk>/move-due",
        obligations.occurrence_move_due,
        name="occurrence_move_due",
    ),
    # --- obligations ---
    path("teams/<slug:slug>/schedule/", schedule.team_schedule, name="team_schedule"),
    path("schedule/", schedule.schedule, name="schedule"),
    path("calendar/<str:token>.ics", schedule.calendar_feed, name="calendar_feed"),
    path("account/notifications/", schedule.notifications_page, name="notifications"),
    path(
        "account/notifications/reminders",
        schedule.reminder_preference_save,
        name="reminder_preference_save",
    ),
    path(
        "account/notifications/calendar/create",
        schedule.calendar_feed_create,
        name="calendar_feed_create",
    ),
    path(
        "account/notifications/calendar/rotate",
        schedule.calendar_feed_rotate,
        name="calendar_feed_rotate",
    ),
    path(
        "account/notifications/calendar/revoke",
        schedule.calendar_feed_revoke,
        name="calendar_feed_revoke",
    ),
    # --- schedule and calendar ---
    path(
        "teams/<slug:slug>/credentials/",
        credentials.credential_list,
        name="credential_list",
    ),
    path(
        "teams/<slug:slug>/credentials/new",
        credentials.credential_new,
        name="credential_new",
    ),
    path(
        "teams/<slug:slug>/credentials/<int:pk>/",
        credentials.credential_detail,
        name="credential_detail",
    ),
    path(
        "teams/<slug:slug>/credentials/<int:pk>/edit",
        credentials.credential_edit,
        name="credential_edit",
    ),
    path(
        "teams/<slug:slug>/credentials/<int:pk>/retire",
        credentials.credential_retire,
        name="credential_retire",
    ),
    path(
        "teams/<slug:slug>/credentials/<int:pk>/report-leak",
        credentials.credential_report_leak,
        name="credential_report_leak",
    ),
    path("teams/<slug:slug>/contacts/", incidents.contact_list, name="contact_list"),
    path("teams/<slug:slug>/contacts/new", incidents.contact_new, name="contact_new"),
    path(
        "teams/<slug:slug>/contacts/<int:pk>/edit",
        incidents.contact_edit,
        name="contact_edit",
    ),
    path(
        "teams/<slug:slug>/contacts/<int:pk>/delete",
        incidents.contact_delete,
        name="contact_delete",
    ),
    path(
        "teams/<slug:slug>/contacts/verify/<slug:provider>",
        incidents.contacts_verify,
        name="contacts_verify",
    ),
    path("teams/<slug:slug>/incidents/", incidents.incident_list, name="incident_list"),
    path("teams/<slug:slug>/incidents/new", incidents.incident_new, name="incident_new"),
    path(
        "teams/<slug:slug>/incidents/<int:pk>/",
        incidents.incident_detail,
        name="incident_detail",
    ),
    path(
        "teams/<slug:slug>/incidents/<int:pk>/note",
        incidents.incident_note,
        name="incident_note",
    ),
    path(
        "teams/<slug:slug>/incidents/<int:pk>/status",
        incidents.incident_status,
        name="incident_status",
    ),
    path(
        "teams/<slug:slug>/incidents/<int:pk>/steps/<int:step_pk>/done",
        incidents.incident_step_done,
        name="incident_step_done",
    ),
    path(
        "teams/<slug:slug>/incidents/<int:pk>/informed",
        incidents.incident_informed,
        name="incident_informed",
    ),
    # --- credentials, contacts, incidents ---
    path(
        "teams/<slug:slug>/access-reviews/",
        access_reviews.access_review_list,
        name="access_review_list",
    ),
    path(
        "teams/<slug:slug>/access-reviews/new",
        access_reviews.access_review_new,
        name="access_review_new",
    ),
    path(
        "teams/<slug:slug>/access-reviews/<int:pk>/import",
        access_reviews.access_review_import,
        name="access_review_import",
    ),
    path(
        "teams/<slug:slug>/access-reviews/<int:pk>/start",
        access_reviews.access_review_start,
        name="access_review_start",
    ),
    # --- access reviews: campaigns and import ---
    path(
        "teams/<slug:slug>/access-reviews/<int:pk>/",
        access_decisions.access_review_detail,
        name="access_review_detail",
    ),
    path(
        "teams/<slug:slug>/access-reviews/<int:pk>/entries/<int:entry_pk>/decide",
        access_decisions.access_entry_decide,
        name="access_entry_decide",
    ),
    path(
        "teams/<slug:slug>/access-reviews/<int:pk>/entries/<int:entry_pk>/done",
        access_decisions.access_entry_action_done,
        name="access_entry_action_done",
    ),
    path(
        "teams/<slug:slug>/access-reviews/<int:pk>/bulk-keep",
        access_decisions.access_review_bulk_keep,
        name="access_review_bulk_keep",
    ),
    path(
        "teams/<slug:slug>/access-reviews/<int:pk>/complete",
        access_decisions.access_review_complete,
        name="access_review_complete",
    ),
    # --- access reviews: decisions and completion ---
    path(
        "teams/<slug:slug>/access-reviews/<int:pk>/signed.pdf",
        access_review_export.access_review_pdf,
        name="access_review_pdf",
    ),
    # --- access reviews: signed export ---
]
