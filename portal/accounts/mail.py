"""The e-mail backend used when DEBUG is off and EMAIL_URL is unset: it refuses to send.

Printing mail instead would put password reset links in the logs.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend


class UnconfiguredEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        raise ImproperlyConfigured(
            "EMAIL_URL (or EMAIL_URL_FILE) is not set: the portal cannot send mail "
            "(e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.com:587)."
        )
