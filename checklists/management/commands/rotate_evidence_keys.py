from django.core.management.base import BaseCommand, CommandError

from checklists.evidence.crypto import VERSION, load_keyring
from checklists.evidence.storage import BlobUnreadable, iter_blob_names, reencrypt_blob
from checklists.models import Evidence, EvidenceKind


class Command(BaseCommand):
    help = (
        f"Re-encrypt every evidence file that is not in format version {VERSION} under the newest "
        "key in EVIDENCE_KEYS (one file at a time, each replaced atomically, and only if its "
        "plaintext matches the SHA-256 recorded at upload). Remove an old key only after this "
        "reports no failures."
    )

    def handle(self, *args, **options):
        keyring = load_keyring()
        recorded = dict(
            Evidence.objects.filter(kind=EvidenceKind.FILE).values_list("blob_name", "sha256")
        )
        rotated = current = 0
        failed: list[str] = []
        for name in iter_blob_names():
            try:
                if reencrypt_blob(name, keyring=keyring, sha256=recorded.get(name)):
                    rotated += 1
                else:
                    current += 1
            except FileNotFoundError:
                continue  # deleted while we worked through the folder
            except BlobUnreadable as exc:
                failed.append(name)
                self.stderr.write(f"{name}: cannot be decrypted: {exc}")
        self.stdout.write(
            f"Re-encrypted {rotated} evidence file(s) under key {keyring.current.id!r}; "
            f"{current} already used it; {len(failed)} could not be decrypted."
        )
        if failed:
            raise CommandError(
                f"{len(failed)} evidence file(s) could not be decrypted and were left as they "
                "were (listed above); keep every old key in EVIDENCE_KEYS until they are "
                "restored from backup or deleted."
            )
