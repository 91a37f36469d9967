from django.urls import path

from portal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.team_list, name="team_list"),
    # Before the team's own pages, which start with a slug.
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("<slug:slug>/", views.team_detail, name="team_detail"),
    path("<slug:slug>/invitations/", views.invitation_create, name="invitation_create"),
    path(
        "<slug:slug>/invitations/<int:invitation_id>/revoke",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("<slug:slug>/members/<int:membership_id>/role", views.member_role, name="member_role"),
    path(
        "<slug:slug>/members/<int:membership_id>/remove", views.member_remove, name="member_remove"
    ),
]
