"""Sign-in events come from Django's and django-axes' signals; they go to the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal.audit import services as audit


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    audit.record("accounts.login.succeeded", actor=user, obj=user)


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("accounts.logout", actor=user, obj=user)


def existing_username(typed) -> str:
    """The username typed, only when it names an account: people type passwords there, and
    the audit trail keeps whatever it is given for good."""
    typed = str(typed or "")
    User = get_user_model()
    if typed and User._default_manager.filter(**{User.USERNAME_FIELD: typed}).exists():
        return typed
    return ""


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    username = existing_username(credentials.get("username"))
    audit.record(
        "accounts.login.failed",
        actor_label=username[:150],
        changes={"username": username},
    )


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs):
    username = existing_username(username)
    audit.record(
        "accounts.login.locked_out",
        actor_label=username[:150],
        changes={"username": username, "ip_address": ip_address},
    )
