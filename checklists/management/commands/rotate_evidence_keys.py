from collections.abc import Callable, Iterable

from django.core.management.base import BaseCommand, CommandError

from checklists.evidence.crypto import VERSION, KeyRing, load_keyring
from checklists.evidence.storage import BlobUnreadable, iter_blob_names, reencrypt_blob
from checklists.models import Evidence, EvidenceKind, ExportStatus, ReportExport
from checklists.reports import storage as report_storage


class Command(BaseCommand):
    help = (
        f"Re-encrypt every evidence file that is not in format version {VERSION} under the newest "
        "key in EVIDENCE_KEYS (one file at a time, each replaced atomically, and only if its "
        "plaintext matches the SHA-256 recorded at upload), in the folder or the bucket "
        "EVIDENCE_STORAGE names; reports sealed in a bucket are re-sealed the same way. Remove "
        "an old key only after this reports no failures."
    )

    def handle(self, *args, **options):
        keyring = load_keyring()
        recorded = dict(
            Evidence.objects.filter(kind=EvidenceKind.FILE).values_list("blob_name", "sha256")
        )
        rotated, current, failed = self._rotate(
            iter_blob_names(),
            lambda name: reencrypt_blob(name, keyring=keyring, sha256=recorded.get(name)),
        )
        self.stdout.write(
            f"Re-encrypted {rotated} evidence file(s) under key {keyring.current.id!r}; "
            f"{current} already used it; {len(failed)} could not be decrypted."
        )
        report_failed = self._rotate_reports(keyring)
        if failed or report_failed:
            what = f"{len(failed)} evidence file(s)"
            if report_failed:
                what += f" and {len(report_failed)} sealed report(s)"
            raise CommandError(
                f"{what} could not be decrypted and were left as they were (listed above); "
                "keep every old key in EVIDENCE_KEYS until they are restored from backup or "
                "deleted."
            )

    def _rotate(
        self, names: Iterable[str], reencrypt: Callable[[str], bool]
    ) -> tuple[int, int, list[str]]:
        rotated = current = 0
        failed: list[str] = []
        for name in names:
            try:
                if reencrypt(name):
                    rotated += 1
                else:
                    current += 1
            except FileNotFoundError:
                continue  # deleted while we worked through the store
            except BlobUnreadable as exc:
                failed.append(name)
                self.stderr.write(f"{name}: cannot be decrypted: {exc}")
        return rotated, current, failed

    def _rotate_reports(self, keyring: KeyRing) -> list[str]:
        """Reports kept as signed PDFs (the folder store) hold no key and are passed over."""
        sealed = [name for name in report_storage.report_names() if _sealed_report(name)]
        if not sealed:
            return []
        recorded = dict(
            ReportExport.objects.filter(status=ExportStatus.DONE).values_list("blob_name", "sha256")
        )
        rotated, current, failed = self._rotate(
            sealed,
            lambda name: report_storage.report_reseal(
                name, keyring=keyring, sha256=recorded.get(name)
            ),
        )
        self.stdout.write(
            f"Re-encrypted {rotated} sealed report(s) under key {keyring.current.id!r}; "
            f"{current} already used it; {len(failed)} could not be decrypted."
        )
        return failed


def _sealed_report(name: str) -> bool:
    try:
        return report_storage.report_is_sealed(name)
    except FileNotFoundError:
        return False  # deleted since the listing
