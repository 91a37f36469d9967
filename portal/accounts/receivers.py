"""Sign-in events come from Django's and django-axes' signals; they go to the audit trail."""

from axes.signals import user_locked_out
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


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    audit.record(
        "accounts.login.failed",
        actor_label=str(credentials.get("username", ""))[:150],
        changes={"username": credentials.get("username", "")},
    )


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs):
    audit.record(
        "accounts.login.locked_out",
        actor_label=str(username or "")[:150],
        changes={"username": username, "ip_address": ip_address},
    )
