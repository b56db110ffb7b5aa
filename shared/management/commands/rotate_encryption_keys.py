"""Re-encrypt every secret at rest with the newest key of TEKUPDB_ENCRYPTION_KEY.

Key rotation (docs/operations.md): prepend the new key to TEKUPDB_ENCRYPTION_KEY, deploy, run this
command, check (`health`, or this command again: "0 still on older keys"), then drop the old key.
It covers every column registered in `shared.fields.encrypted_fields()` (billy API keys, flow webhook
secrets, flow secret variables), one row per short transaction: safe to interrupt and run again.
Neither keys nor secrets are ever printed; key ids (a hash prefix) are.

Exit status: 0 every value is under the newest key (or, with --dry-run, every value can be opened);
1 some value no configured key decrypts (named by column and count, never by value), or the keys are
not configured.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from shared.commands import acting_as_email, add_as_argument
from shared.keyring import DEFAULT_BATCH_SIZE, rotate_encryption_keys
from shared.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column (billy API keys, flow webhook secrets, flow secret variables) "
        "with the newest key of TEKUPDB_ENCRYPTION_KEY, one row per transaction; safe to interrupt and "
        "rerun. Exit codes: 0 all values under the newest key (with --dry-run: every value opens); 1 some "
        "value no configured key decrypts, or no key is configured; 2 usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Decrypt and count what would be re-encrypted; write nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            metavar="N",
            help=f"Rows read per batch; each row gets its own transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        add_as_argument(parser)

    def handle(self, *args, dry_run: bool = False, batch_size: int = DEFAULT_BATCH_SIZE, **options):
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1, not {batch_size}.")
        bars: dict[str, ProgressBar] = {}

        def progress(column: str, done: int, total: int) -> None:
            # A bar only where it helps: a long column, or a person watching a terminal.
            quiet = options.get("verbosity", 1) < 1
            if quiet or (total < 1000 and not getattr(self.stdout, "isatty", lambda: False)()):
                return
            if column not in bars:
                bars[column] = ProgressBar(self.stdout, total, column)
            bars[column].update(done)

        try:
            with acting_as_email(options.get("as_email")):
                report = rotate_encryption_keys(dry_run=dry_run, batch_size=batch_size, progress=progress)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None

        verb = "would re-encrypt" if dry_run else "re-encrypted"
        width = max((len(column.column) for column in report.columns), default=0)
        self.stdout.write(f"Newest key: {report.key_id}")
        for column in report.columns:
            line = f"{column.column.ljust(width)}  {verb} {column.reencrypted} of {column.stale}"
            if not dry_run:
                line += f"; {column.remaining} still on older keys"
            if column.undecryptable:
                line += f"; {column.undecryptable} no configured key decrypts"
            self.stdout.write(line)
        if report.undecryptable:
            raise CommandError(
                f"{report.undecryptable} values cannot be decrypted with any configured key (see the "
                "columns above): was a key dropped too early? Restore it to TEKUPDB_ENCRYPTION_KEY and "
                "run this command again; do not drop any key now."
            )
        if dry_run:
            self.stdout.write(f"Dry run: {report.reencrypted} values would be re-encrypted; nothing written.")
        elif report.remaining:
            # Rows sealed under an older key while the run went on (not by this code: it always uses the
            # newest key), or an older key still configured first on another process: run again.
            self.stdout.write(
                self.style.WARNING(
                    f"Re-encrypted {report.reencrypted} values; {report.remaining} still on older keys: "
                    "run the command again before dropping a key."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Re-encrypted {report.reencrypted} values; 0 still on older keys. Older keys can now "
                    "be dropped from TEKUPDB_ENCRYPTION_KEY."
                )
            )
