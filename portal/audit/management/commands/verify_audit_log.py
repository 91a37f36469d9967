"""Check the audit hash chain end to end: exit 0 with the count and head hash when intact,
exit 1 naming the first bad sequence number otherwise. The run itself is recorded."""

from django.core.management.base import BaseCommand, CommandError

from portal.audit import services


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain, its head and its signed checkpoints."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=5000,
            help="Events fetched per round trip while streaming (default 5000).",
        )

    def handle(self, *args, chunk_size: int, **options):
        result = services.log_verify(chunk_size=chunk_size)
        if not result.recorded:
            self.stderr.write("This verification could not be recorded: the chain is broken.")
        if not result.ok:
            raise CommandError(
                f"Audit log broken at sequence {result.first_bad_sequence}: {result.problem} "
                f"({result.count} events verified before it)."
            )
        self.stdout.write(
            f"Audit log intact: {result.count} events, head {result.head_sequence} "
            f"{result.head_hash}, {result.checkpoints} signed "
            f"checkpoint{'' if result.checkpoints == 1 else 's'}."
        )
