"""Delete old rate-limit windows and usage rows of the billy schema (and, when asked, old tool audit).

Both tables grow by one row per key and window (or hour and tool) forever; this keeps the recent past.
A rate-limit window that is still open is never deleted, whatever the age given. Usage metrics and the
tool audit are partitioned by month: whole months older than the age are dropped as partitions
(constant time; a big month's count is the planner's estimate), only the boundary month is deleted
row by row. A prune that removed something leaves one summary entry in the shared audit.

Exit status: 0 done (or dry run), 1 bad input (an age that is not like 30d, 12h, 90m, 3600s; an
unknown --as user).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billy.services import prune_history, prune_tool_audit
from shared.commands import acting_as_email, add_as_argument, parse_age


class Command(BaseCommand):
    help = (
        "Delete rate-limit windows and usage rows that ended longer ago than --older-than (and tool audit "
        "entries older than --tool-audit-older-than, when given). Exit codes: 0 done (or dry run); 1 bad "
        "input (an age not like 30d, 12h, 90m or 3600s, an unknown --as user); 2 usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", default="30d", help="Age to keep, as 30d, 12h, 90m or 3600s (default 30d)."
        )
        parser.add_argument(
            "--tool-audit-older-than",
            default=None,
            metavar="AGE",
            help="Also delete the tool audit (billy.audit_logs) older than AGE (default: keep it all).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; delete nothing.")
        add_as_argument(parser)

    def handle(self, *args, older_than: str = "30d", dry_run: bool = False, **options):
        age = parse_age(older_than)
        audit_text = options.get("tool_audit_older_than")
        audit_age = parse_age(audit_text, option="--tool-audit-older-than") if audit_text else None
        try:
            with acting_as_email(options.get("as_email")):
                counts = prune_history(older_than=age, dry_run=dry_run)
                audit = prune_tool_audit(older_than=audit_age, dry_run=dry_run) if audit_age else None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        verb = "Would delete" if dry_run else "Deleted"
        message = (
            f"{verb} {counts['rate_limits']} rate-limit windows and {counts['usage_metrics']} usage rows "
            f"older than {older_than.strip()}."
        )
        if audit is not None:
            message += f" {verb} {audit} tool audit entries older than {audit_text.strip()}."
        self.stdout.write(message if dry_run else self.style.SUCCESS(message))
