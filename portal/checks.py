"""Deploy checks for the secrets the portal cannot run without in production."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def production_keys(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    if not settings.EVIDENCE_KEYS:
        errors.append(
            Error(
                "EVIDENCE_KEYS (or EVIDENCE_KEYS_FILE) is not set: evidence cannot be encrypted.",
                hint="Give keyid:base64(32 random bytes), newest first.",
                id="portal.E001",
            )
        )
    if not settings.AUDIT_SIGNING_KEY_FILE:
        errors.append(
            Error(
                "AUDIT_SIGNING_KEY_FILE is not set: audit checkpoints cannot be signed.",
                hint="Mount an Ed25519 or ECDSA P-256 private key (PEM) and name its path.",
                id="portal.E002",
            )
        )
    return errors
