"""Take over the Prisma-built database: copy every row of it into this project's migrated database.

The TypeScript project's database (built with `prisma db push`) cannot be migrated in place; this reads
it in one read-only snapshot and upserts its rows here on deterministic ids, so it can run again (after
new rows arrived, or to check that nothing changed). The work is `operations.prisma_import`.

Exit status: 0 every row of every known table was imported, updated, unchanged or explicitly refused
(refusals are listed); 1 a table could not be imported, or the source cannot be read; 2 bad arguments.
"""

from django.core.management.base import BaseCommand, CommandError

from operations.prisma_import import SCHEMAS, PrismaImportError, import_prisma
from shared.progress import ProgressBar

EXIT_OK, EXIT_INCOMPLETE = 0, 1


class Command(BaseCommand):
    help = (
        "Import every row of the Prisma-built database at --source into this database (upsert on mapped "
        "ids: repeatable). Exit codes: 0 every row imported or explicitly refused; 1 a table or the "
        "source failed; 2 usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source", required=True, help="URL of the Prisma-built database (postgresql://...), read only."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Find every refusal and count the changes; write nothing."
        )
        parser.add_argument(
            "--only",
            nargs="+",
            choices=SCHEMAS,
            metavar="SCHEMA",
            help=f"Import only these schemas (of: {', '.join(SCHEMAS)}).",
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(label, total):
            return ProgressBar(self.stdout, total, label.ljust(28), enabled=verbosity > 0)

        try:
            report = import_prisma(
                options["source"], dry_run=options["dry_run"], only=options["only"], progress=progress
            )
        except PrismaImportError as error:
            raise CommandError(str(error), returncode=EXIT_INCOMPLETE) from None
        self._print(report)
        failed = [table for table in report.tables if not table.accounted]
        if failed:
            names = ", ".join(f"{t.table} ({t.error or 'rows unaccounted for'})" for t in failed)
            raise CommandError(f"not imported: {names}", returncode=EXIT_INCOMPLETE)

    def _print(self, report):
        out = self.stdout
        out.write("")
        header = f"{'table':28} {'source':>8} {'imported':>9} {'updated':>8} {'unchanged':>10} {'refused':>8}"
        out.write(header + f" {'rounded':>8}")
        for t in report.tables:
            line = (
                f"{t.table:28} {t.source_rows:>8} {t.imported:>9} {t.updated:>8} {t.unchanged:>10} "
                f"{t.refused:>8} {t.rounded:>8}"
            )
            out.write(self.style.ERROR(f"{line}  FAILED: {t.error}") if t.error else line)
        totals = [sum(getattr(t, name) for t in report.tables) for name in ("source_rows", "imported")]
        out.write(
            f"{'total':28} {totals[0]:>8} {totals[1]:>9} "
            f"{sum(t.updated for t in report.tables):>8} {sum(t.unchanged for t in report.tables):>10} "
            f"{sum(t.refused for t in report.tables):>8} {sum(t.rounded for t in report.tables):>8}"
        )
        if report.refusals:
            out.write(self.style.WARNING(f"\nRefused rows ({len(report.refusals)}):"))
            for refusal in report.refusals:
                out.write(f"  {refusal.table} {refusal.source_id}: {refusal.reason}")
        if report.email_case_duplicates:
            out.write(self.style.WARNING("\nUsers whose e-mails differ only by case (one is kept):"))
            for email, ids in report.email_case_duplicates:
                out.write(f"  {email}: {', '.join(ids)}")
        if report.unknown_tables:
            out.write(self.style.WARNING("\nSource tables with no home here (not imported):"))
            for name, rows in report.unknown_tables:
                out.write(f"  {name}: {rows} rows")
        unmapped = [(t.table, t.unmapped_columns) for t in report.tables if t.unmapped_columns]
        if unmapped:
            out.write("\nSource columns with no home here (not imported):")
            for table, columns in unmapped:
                out.write(f"  {table}: {', '.join(columns)}")
        if report.invoice_counters:
            counters = ", ".join(f"{year}: {number}" for year, number in report.invoice_counters.items())
            out.write(f"\nInvoice numbers continue after: {counters}")
        if report.dry_run:
            out.write(self.style.WARNING(f"\nDry run: nothing written ({report.changed} rows would change)."))
        elif report.changed == 0:
            out.write(self.style.SUCCESS("\nNothing changed: the database already holds every source row."))
        else:
            out.write(self.style.SUCCESS(f"\nImported: {report.changed} rows written."))
