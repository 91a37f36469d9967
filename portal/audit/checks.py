"""Deploy check: the portal cannot append audit events in production without the MAC key."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from portal.audit import mac


@register(Tags.security, deploy=True)
def audit_mac_key(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    key = settings.AUDIT_MAC_KEY
    if not key:
        return [
            Error(
                "AUDIT_MAC_KEY (or AUDIT_MAC_KEY_FILE) is not set: audit events cannot be written.",
                hint="Give every web and worker node the same random secret of at least "
                f"{mac.MIN_KEY_LENGTH} characters; never store it in the database.",
                id="audit.E001",
            )
        ]
    if len(key) < mac.MIN_KEY_LENGTH:
        return [
            Error(
                f"AUDIT_MAC_KEY is shorter than {mac.MIN_KEY_LENGTH} characters.",
                id="audit.E002",
            )
        ]
    return []
