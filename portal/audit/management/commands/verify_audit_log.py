"""Check the audit trail end to end. Exit status:

0  intact, and the newest signed checkpoint is recent enough;
1  broken: the first bad sequence number is named, with how many events verified before it;
2  intact, but stale: the newest checkpoint is older than AUDIT_CHECKPOINT_MAX_AGE (or there
   is none while events are older than that).

Needs no private key: checkpoints are checked against the public keys in
AUDIT_PUBLIC_KEY_FILES. Without AUDIT_MAC_KEY the events' MACs are not checked (it says so),
and the run is not recorded, since appending an event needs the key.
"""

from django.core.management.base import BaseCommand, CommandError

from portal.audit import chain, services

EXIT_STALE = 2


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain, its head, MACs and signed checkpoints."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=5000,
            help="Events fetched per round trip while streaming (default 5000).",
        )

    def handle(self, *args, chunk_size: int, **options):
        result = services.log_verify(chunk_size=chunk_size, how="verify_audit_log command")
        if not result.mac_checked:
            self.stderr.write("MAC not checked: AUDIT_MAC_KEY is not configured here.")
        if not result.recorded:
            reason = "the chain is broken" if result.mac_checked else "no AUDIT_MAC_KEY"
            self.stderr.write(f"This verification could not be recorded: {reason}.")
        if not result.ok:
            raise CommandError(
                f"Audit log broken at sequence {result.first_bad_sequence}: {result.problem} "
                f"({result.count} event{'' if result.count == 1 else 's'} verified before it)."
            )
        latest = (
            f", the newest signed at {chain.format_time(result.latest_checkpoint_at)}"
            if result.latest_checkpoint_at
            else ""
        )
        self.stdout.write(
            f"Audit log intact: {result.count} events, head {result.head_sequence} "
            f"{result.head_hash}, {result.checkpoints} signed "
            f"checkpoint{'' if result.checkpoints == 1 else 's'}{latest}"
            f"{'' if result.mac_checked else ', MAC not checked'}."
        )
        if result.stale:
            raise CommandError(
                f"Audit log stale: {result.stale_reason}, older than the allowed "
                "AUDIT_CHECKPOINT_MAX_AGE; sign a checkpoint (audit_checkpoint_sign).",
                returncode=EXIT_STALE,
            )
