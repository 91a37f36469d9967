"""The portal's own mail: the invitation to a team, and the e-mail backend used when DEBUG
is off and EMAIL_URL is unset, which refuses to send (printing mail instead would put
password reset and invitation links in the logs)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse


class UnconfiguredEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        raise ImproperlyConfigured(
            "EMAIL_URL (or EMAIL_URL_FILE) is not set: the portal cannot send mail "
            "(e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.com:587)."
        )


def invitation_message(*, invitation, token: str) -> EmailMultiAlternatives:
    """The invitation mail, text and HTML. The same words whether or not the address has an
    account: only its owner reads them."""
    base = settings.PORTAL_URL.rstrip("/")
    inviter = invitation.invited_by
    context = {
        "team": invitation.team.name,
        "role": invitation.get_role_display(),
        "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter else "",
        "expires_at": invitation.expires_at,
        "url": base + reverse("accounts:invitation_accept", args=[token]),
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("emails/invitation-subject.txt", context).strip(),
        body=render_to_string("emails/invitation-body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("emails/invitation-body.html", context), "text/html"
    )
    return message
