from django.urls import path

from checklists.views import catalog

app_name = "checklists"

urlpatterns = [
    path("catalog/", catalog.control_list, name="control_list"),
    path("catalog/controls/<str:ref>/", catalog.control_detail, name="control_detail"),
    path("catalog/providers/<slug:slug>/", catalog.provider_detail, name="provider_detail"),
    path("catalog/owasp/<str:code>/", catalog.owasp_detail, name="owasp_detail"),
]
