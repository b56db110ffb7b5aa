"""`--as EMAIL` for the management commands that write: the database audit then names the person who
ran the command instead of the database role (`sql:<role>`)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from .services import acting_as, user_by_email

AS_HELP = (
    "Record this command's writes in the audit as made by the user with this email "
    "(default: the database role, sql:<role>)."
)


_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_age(text: str, *, option: str = "--older-than") -> timedelta:
    """'30d', '12h', '90m' or '3600s' as a timedelta (the prune commands' ages); CommandError else."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhms])\s*", text or "")
    if not match or int(match.group(1)) == 0:
        raise CommandError(f"{option} must be a positive number followed by d, h, m or s (got {text!r}).")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def add_as_argument(parser) -> None:
    parser.add_argument("--as", dest="as_email", metavar="EMAIL", default=None, help=AS_HELP)


@contextlib.contextmanager
def acting_as_email(email: str | None) -> Iterator[None]:
    """Inside: writes are audited as the user with `email` (CommandError if there is none)."""
    if not email:
        yield
        return
    try:
        user = user_by_email(email=email)
    except ValidationError as error:
        raise CommandError(f"--as: no user has the email {email!r}.") from error
    with acting_as(user):
        yield
