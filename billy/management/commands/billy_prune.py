"""Delete old rate-limit windows and usage rows of the billy schema.

Both tables grow by one row per key and window (or hour and tool) forever; this keeps the recent past.
A rate-limit window that is still open is never deleted, whatever the age given.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from billy.services import prune_history
from shared.commands import acting_as_email, add_as_argument

_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_age(text: str) -> timedelta:
    """'30d', '12h', '90m' or '3600s' as a timedelta."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhms])\s*", text or "")
    if not match or int(match.group(1)) == 0:
        raise CommandError(f"--older-than must be a positive number followed by d, h, m or s (got {text!r}).")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Delete rate-limit windows and usage rows that ended longer ago than --older-than."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", default="30d", help="Age to keep, as 30d, 12h, 90m or 3600s (default 30d)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; delete nothing.")
        add_as_argument(parser)

    def handle(self, *args, older_than: str = "30d", dry_run: bool = False, **options):
        with acting_as_email(options.get("as_email")):
            counts = prune_history(older_than=parse_age(older_than), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        message = (
            f"{verb} {counts['rate_limits']} rate-limit windows and {counts['usage_metrics']} usage rows "
            f"older than {older_than.strip()}."
        )
        self.stdout.write(message if dry_run else self.style.SUCCESS(message))
