"""Delete audit entries (shared.audit_logs) older than a year or more.

The audit is partitioned by month: whole months older than the age are dropped as partitions
(constant time; a big month's count is the planner's estimate), only the boundary month is deleted
row by row. Retention: the age is at least a year (shared.services.AUDIT_MIN_RETENTION); only whoever
runs manage.py on the server can prune (the admin has no such action), and the prune itself is
recorded as one audit entry (action "prune") naming its actor: pass --as EMAIL.

Exit status: 0 done (or dry run), 1 bad input (an age that is not like 400d, or under a year; an
unknown --as user).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared.commands import acting_as_email, add_as_argument, parse_age
from shared.services import AUDIT_MIN_RETENTION, prune_audit


class Command(BaseCommand):
    help = (
        "Delete audit entries older than --older-than (at least 365d); the prune is itself audited. "
        "Exit codes: 0 done (or dry run); 1 bad input (an age not like 400d, or under 365d, an unknown --as "
        "user); 2 usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", default="730d", help="Age to keep, at least 365d (default 730d: two years)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; delete nothing.")
        add_as_argument(parser)

    def handle(self, *args, older_than: str = "730d", dry_run: bool = False, **options):
        age = parse_age(older_than)
        if age < AUDIT_MIN_RETENTION:
            raise CommandError(
                f"--older-than must be at least {AUDIT_MIN_RETENTION.days}d: the audit is kept a year "
                f"at least (got {older_than.strip()})."
            )
        try:
            with acting_as_email(options.get("as_email")):
                count = prune_audit(older_than=age, dry_run=dry_run)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        verb = "Would delete" if dry_run else "Deleted"
        message = f"{verb} {count} audit entries older than {older_than.strip()}."
        self.stdout.write(message if dry_run else self.style.SUCCESS(message))
