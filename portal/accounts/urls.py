from django.urls import path

from portal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("<slug:slug>/", views.team_detail, name="team_detail"),
    path("<slug:slug>/members/add", views.member_add, name="member_add"),
    path("<slug:slug>/members/<int:membership_id>/role", views.member_role, name="member_role"),
    path(
        "<slug:slug>/members/<int:membership_id>/remove", views.member_remove, name="member_remove"
    ),
]
