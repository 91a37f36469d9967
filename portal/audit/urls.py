from django.urls import path

from portal.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("events/<int:sequence>/", views.event_detail, name="event_detail"),
    path("export.csv", views.event_export, name="event_export"),
    path("export.jsonl", views.event_export_jsonl, name="event_export_jsonl"),
    path("exports/<int:pk>/", views.export_status, name="export_status"),
    path("exports/<int:pk>/download", views.export_download, name="export_download"),
]
