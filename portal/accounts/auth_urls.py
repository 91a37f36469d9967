"""Sign-in (with its second step), account security and password URLs, mounted at
accounts/; Django's own views under their usual names."""

from django.contrib.auth import views as django_views
from django.urls import path

from portal.accounts import auth_views, two_factor_views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", django_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", two_factor_views.verify, name="two_factor_verify"),
    path("two-factor/set-up/", two_factor_views.enrol, name="two_factor_enrol"),
    path("security/", two_factor_views.security, name="account_security"),
    path(
        "security/backup-codes/",
        two_factor_views.backup_codes_regenerate,
        name="two_factor_backup_codes",
    ),
    path("security/turn-off/", two_factor_views.disable, name="two_factor_disable"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        django_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        django_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        django_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
