"""The API token pages: a person's own under accounts/, a team's service accounts under
teams/<slug>/ (mounted at the site's root)."""

from django.urls import path

from portal.api import token_views

app_name = "tokens"

urlpatterns = [
    path("accounts/api-tokens/", token_views.personal_tokens, name="personal"),
    path(
        "accounts/api-tokens/<int:token_id>/revoke",
        token_views.personal_token_revoke,
        name="personal_revoke",
    ),
    path("teams/<slug:slug>/service-accounts/", token_views.team_tokens, name="team"),
    path(
        "teams/<slug:slug>/service-accounts/add",
        token_views.service_account_create,
        name="service_account_create",
    ),
    path(
        "teams/<slug:slug>/service-accounts/<int:account_id>/tokens",
        token_views.service_account_token_create,
        name="service_account_token_create",
    ),
    path(
        "teams/<slug:slug>/service-accounts/tokens/<int:token_id>/revoke",
        token_views.team_token_revoke,
        name="team_revoke",
    ),
]
