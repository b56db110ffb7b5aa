"""Restore a backup made by `manage.py backup`, all or nothing.

The manifest and checksum are verified before anything is touched; a database that holds data is only
replaced with --yes; the restore runs in one transaction that also checks every table's row count
against the manifest, so any failure leaves the database exactly as it was.
"""

from django.core.management.base import BaseCommand, CommandError

from operations import pg
from operations.backup import BackupError, keys_missing_for
from operations.restore import restore_backup
from shared.commands import acting_as_email, add_as_argument
from shared.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Restore a backup (dump file or its manifest), verifying it first and its row counts after, in one "
        "transaction. Exit codes: 0 restored, every row count as in the manifest; 1 refused or failed, the "
        "database left as it was (a bad checksum, data in the target without --yes, a count mismatch); "
        "2 usage error."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .dump file (or its .json manifest).")
        parser.add_argument(
            "--schema", action="append", dest="schemas", metavar="S", help="Only this schema (repeatable)."
        )
        parser.add_argument("--yes", action="store_true", help="Replace the data the database holds.")
        add_as_argument(parser)

    def handle(self, *args, **options):
        bar = None

        def progress(done, total, table):
            nonlocal bar
            if bar is None:
                bar = ProgressBar(self.stdout, total, "restoring")
            bar.update(done, table)

        try:
            with acting_as_email(options.get("as_email")):
                result = restore_backup(
                    path=options["file"],
                    schemas=options["schemas"],
                    assume_yes=options["yes"],
                    progress=progress,
                )
        except (BackupError, pg.ToolError) as exc:
            raise CommandError(str(exc)) from exc
        if bar is not None and options["verbosity"] >= 1:
            bar.finish()
        rows = sum(result.counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {result.backup.dump_path.name}: schemas {', '.join(result.schemas)}, "
                f"{len(result.counts)} tables, {rows} rows, every count as in the manifest."
            )
        )
        for column, key_ids in keys_missing_for(result.backup.manifest).items():
            self.stderr.write(
                self.style.WARNING(
                    f"warning: {column} holds values sealed with key {', '.join(key_ids)}, which "
                    "TEKUPDB_ENCRYPTION_KEY does not hold: add that key, or these secrets cannot be read."
                )
            )
