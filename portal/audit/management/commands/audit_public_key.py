"""Print the audit signing key's public half (PEM), to publish for verifiers: the portal's
own nodes (AUDIT_PUBLIC_KEY_FILES) and auditors running portal/audit/offline_verify.py."""

from django.core.management.base import BaseCommand

from portal.audit import signing


class Command(BaseCommand):
    help = "Print the audit checkpoint signing key's public key (PEM) and its key id."

    def add_arguments(self, parser):
        parser.add_argument(
            "--key-id", action="store_true", help="Print only the key id (SHA-256 of the key)."
        )

    def handle(self, *args, key_id: bool, **options):
        key = signing.signing_key()
        if key_id:
            self.stdout.write(signing.key_id(key))
        else:
            self.stdout.write(signing.public_key_pem(key), ending="")
