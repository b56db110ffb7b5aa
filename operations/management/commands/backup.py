"""Back the database up: pg_dump in custom format plus a manifest (row counts, sha256) beside it.

Safe to run from cron: the dump is written under a temporary name and renamed only when complete, and
the manifest (which marks a backup complete) comes last. `--keep N` then deletes older backups of the
same database and schema selection.
"""

from django.core.management.base import BaseCommand, CommandError

from operations import pg
from operations.backup import BackupError, create_backup
from shared.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Dump the database (or some schemas) with pg_dump and write a manifest beside the dump (row counts, "
        "sha256); --keep N then deletes older backups of the same kind. Exit codes: 0 backed up; 1 failed, "
        "no partial backup left (no pg_dump of the server's major version, an unknown schema, a database "
        "error); 2 usage error."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--schema", action="append", dest="schemas", metavar="S", help="Only this schema (repeatable)."
        )
        parser.add_argument(
            "--output", metavar="DIR", help="Directory for the backup (default TEKUPDB_BACKUP_DIR)."
        )
        parser.add_argument(
            "--keep", type=int, metavar="N", help="Keep only the N newest backups of this kind."
        )

    def handle(self, *args, **options):
        bar = None

        def progress(done, total, table):
            nonlocal bar
            if bar is None:
                bar = ProgressBar(self.stdout, total, "dumping")
            bar.update(done, table)

        try:
            backup = create_backup(
                schemas=options["schemas"],
                output_dir=options["output"],
                keep=options["keep"],
                progress=progress,
            )
        except (BackupError, pg.ToolError) as exc:
            raise CommandError(str(exc)) from exc
        if bar is not None and options["verbosity"] >= 1:
            bar.finish()
        for warning in backup.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        manifest = backup.manifest
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {len(manifest['tables'])} tables ({rows} rows, {manifest['size']} bytes) to "
                f"{backup.dump_path}"
            )
        )
        return None
