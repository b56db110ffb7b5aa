"""Delete old execution log lines of the flow schema (flow.execution_logs).

Every run of a workflow writes log lines; nothing else ever removes them. The table is partitioned by
month: whole months older than the age are dropped as partitions (constant time; a big month's count
is the planner's estimate), only the boundary month is deleted row by row. The executions and their
steps stay. A prune that removed something leaves one summary entry in the shared audit.

Exit status: 0 done (or dry run), 1 bad input (an age that is not like 90d, 12h, 90m, 3600s; an
unknown --as user).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from flow.services import prune_execution_logs
from shared.commands import acting_as_email, add_as_argument, parse_age


class Command(BaseCommand):
    help = (
        "Delete execution log lines older than --older-than. Exit codes: 0 done (or dry run); 1 bad input "
        "(an age not like 90d, 12h, 90m or 3600s, an unknown --as user); 2 usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", default="90d", help="Age to keep, as 90d, 12h, 90m or 3600s (default 90d)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; delete nothing.")
        add_as_argument(parser)

    def handle(self, *args, older_than: str = "90d", dry_run: bool = False, **options):
        age = parse_age(older_than)
        try:
            with acting_as_email(options.get("as_email")):
                count = prune_execution_logs(older_than=age, dry_run=dry_run)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        verb = "Would delete" if dry_run else "Deleted"
        message = f"{verb} {count} execution log lines older than {older_than.strip()}."
        self.stdout.write(message if dry_run else self.style.SUCCESS(message))
