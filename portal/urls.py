from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("portal.accounts.auth_urls")),
    path("teams/", include("portal.accounts.urls")),
    path("", include("checklists.urls")),
    path("audit/", include("portal.audit.urls")),
    path("api/", include("portal.api.urls")),
    # The API token pages: accounts/api-tokens/ and teams/<slug>/service-accounts/.
    path("", include("portal.api.token_urls")),
    # The admin's own password page would change it unaudited: the portal's page does it.
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change")),
    path("admin/", admin.site.urls),
]
