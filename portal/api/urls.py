from django.urls import path

from portal.api.views import checklists, docs, obligations, reports, teams

app_name = "api"

TEAM = "v1/teams/<slug:slug>/"
CHECKLIST = TEAM + "checklists/<str:period>/"
ANSWER = CHECKLIST + "answers/<str:ref>/"

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("client/upload_evidence.py", docs.upload_client, name="client_upload_evidence"),
    path("v1/me/", teams.CallerView.as_view(), name="caller"),
    path("v1/teams/", teams.TeamListView.as_view(), name="team_list"),
    path(TEAM, teams.TeamDetailView.as_view(), name="team_detail"),
    path(TEAM + "due/", obligations.DueView.as_view(), name="team_due"),
    path(TEAM + "checklists/", checklists.ChecklistListView.as_view(), name="checklist_list"),
    path(CHECKLIST, checklists.ChecklistDetailView.as_view(), name="checklist_detail"),
    path(CHECKLIST + "answers/", checklists.AnswerListView.as_view(), name="answer_list"),
    path(ANSWER, checklists.AnswerDetailView.as_view(), name="answer_detail"),
    path(ANSWER + "evidence/", checklists.AnswerEvidenceView.as_view(), name="answer_evidence"),
    path(
        TEAM + "occurrences/<int:pk>/",
        obligations.OccurrenceDetailView.as_view(),
        name="occurrence_detail",
    ),
    path(
        TEAM + "occurrences/<int:pk>/completion/",
        obligations.OccurrenceCompletionView.as_view(),
        name="occurrence_completion",
    ),
    path(TEAM + "reports/", reports.ReportListView.as_view(), name="report_list"),
    path(
        TEAM + "reports/<int:pk>/download/",
        reports.ReportDownloadView.as_view(),
        name="report_download",
    ),
]
