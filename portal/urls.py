from django.contrib import admin
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("portal.accounts.auth_urls")),
    path("teams/", include("portal.accounts.urls")),
    path("", include("checklists.urls")),
    path("audit/", include("portal.audit.urls")),
    path("admin/", admin.site.urls),
]
