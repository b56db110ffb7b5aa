"""Create the monthly partitions of the history tables ahead of time; run it from cron (daily).

Every range-partitioned table of the six schemas (billy.usage_metrics, billy.audit_logs,
shared.audit_logs, flow.execution_logs) gets its partitions for this month and the next --ahead months,
and each month that has rows waiting in its DEFAULT partition (an import or a restore of old history)
gets its partition too, the rows moved into it. Idempotent: a second run makes nothing. Safe to run
concurrently: each table is handled under an advisory lock (tekupdb.db.partitions).

Exit status: 0 done (whether or not anything was made), 1 bad input (--ahead outside 0..120) or a
database error.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from operations.health import app_schemas
from tekupdb.db import partitions


class Command(BaseCommand):
    help = (
        "Create this month's and the next --ahead months' partitions of every partitioned history table "
        "(and move rows out of the DEFAULT partitions). Idempotent. Exit codes: 0 done; 1 --ahead outside "
        "0..120, or a database error; 2 usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ahead", type=int, default=3, help="Months after this one to create (0..120, default 3)."
        )

    def handle(self, *args, ahead: int = 3, **options):
        if not 0 <= ahead <= 120:
            raise CommandError(f"--ahead must be a whole number of months from 0 to 120 (got {ahead}).")
        try:
            created = partitions.create_ahead(ahead=ahead, schemas=app_schemas())
        except DatabaseError as error:
            raise CommandError(f"could not create the partitions: {error}") from error
        if not created:
            self.stdout.write("No partitioned tables (run migrate first).")
            return
        for table, names in created.items():
            if names:
                self.stdout.write(self.style.SUCCESS(f"{table}: created {', '.join(names)}"))
            else:
                self.stdout.write(f"{table}: up to date")
        total = sum(len(names) for names in created.values())
        self.stdout.write(f"{total} partitions created, {ahead} months ahead.")
