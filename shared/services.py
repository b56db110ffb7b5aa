"""Public API of the shared schema: create users, record audit events, act as a user, read the audit.

Sibling apps call these instead of touching the models directly; they validate first and write in a
transaction, so bad input raises `ValidationError` (keyed by the argument's name) and writes nothing.

The database audits every write itself (shared.audit); code that writes on someone's behalf wraps the
work in `acting_as(user)`, and loads of many rows in `summarised_audit(label)`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from shared import validation as v
from tekupdb.db import partitions

from . import audit
from .models import AuditLog, User

__all__ = [
    "AUDIT_MIN_RETENTION",
    "acting_as",
    "audit_trail",
    "create_user",
    "log_event",
    "prune_audit",
    "summarised_audit",
    "user_by_email",
]

# The audit is the record of who changed what: a prune may not cut it shorter than this (a year is
# what a bookkeeping question usually reaches back; pick older with --older-than, never younger).
AUDIT_MIN_RETENTION = dt.timedelta(days=365)

summarised_audit = audit.summarised_audit
ROW_ACTIONS = ("insert", "update", "delete")


def create_user(*, email: str, name: str, password: str | None = None, is_staff: bool = False) -> User:
    """Create a user; with no password the user cannot log in until one is set.

    Raises ValidationError: a bad or taken email, a name too long, a password the validators refuse.
    """
    email = v.email(email, name="email")
    name = v.text(name, name="name", max_length=255, blank=True)
    is_staff = v.boolean(is_staff, name="is_staff")
    if password is not None:
        password = v.text(password, name="password", max_length=4096, strip=False)
    user = User(email=email, name=name, is_staff=is_staff)
    if password is not None:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise v.invalid("password", " ".join(error.messages)) from None
    user.set_password(password)
    # Uniqueness (also of the email in any case) is the database's: see the IntegrityError below.
    v.full_clean(user, exclude=["password"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        raise ValidationError({"email": f"A user with email '{email}' already exists."}) from None
    return user


def log_event(
    *,
    action: str,
    resource_type: str,
    resource_id: Any,
    user: User | None = None,
    metadata: dict | None = None,
) -> AuditLog:
    """Append one event to the shared audit log. `resource_id` may be any value with a short str().

    Raises ValidationError: an argument outside its column (text, length), a user that is not a saved
    User, metadata that is not a JSON object.
    """
    user = v.optional_instance(user, name="user", model=User)
    actor = user if user is not None else _current_user_or_none()
    entry = AuditLog(
        action=v.model_field(AuditLog, "action", action),
        resource_type=v.model_field(AuditLog, "resource_type", resource_type),
        resource_id=v.text(
            "" if resource_id is None else str(resource_id), name="resource_id", max_length=255, blank=True
        ),
        actor_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else "",
        metadata=v.json_object(metadata, name="metadata") or {},
    )
    v.full_clean(entry)
    with transaction.atomic():
        entry.save(force_insert=True)
    return entry


def _current_user_or_none() -> audit.Actor | None:
    return audit.current_actor()


@contextlib.contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Every write made inside (through Django's connections) is audited as made by `user`.

    Commands that write take `--as EMAIL` and run their work inside this; a sibling app calls it around
    work done for one of its users. `None` records the writes as plain SQL (`sql:<database role>`).
    """
    if user is not None and not isinstance(user, User):
        raise ValidationError({"user": "acting_as needs a shared.User (or None)."})
    with audit.actor_context(user):
        yield


def user_by_email(*, email: str) -> User:
    """The user with this email (any case), for a command's `--as EMAIL`.

    Raises ValidationError keyed by "email": not text, or no user has it.
    """
    email = v.text(email, name="email", max_length=254)
    try:
        return User.objects.get(email__iexact=email)
    except User.DoesNotExist:
        raise ValidationError({"email": f"No user has the email '{email}'."}) from None


def audit_trail(*, instance=None, model=None, pk=None, limit: int = 100) -> list[AuditLog]:
    """The audit entries of one row, newest first: by `instance`, or by `model` and primary key `pk`.

    Raises ValidationError: neither an instance nor a model and key, both, an unsaved instance, a model
    outside the six schemas, a limit outside 1..10,000, a key that is not short text.

    Each entry has `.action` ("insert", "update" or "delete"), `.actor` (an email or `sql:<role>`),
    `.changes` (`{column: [before, after]}`; before is None on insert, after on delete) and `.at`.
    """
    if instance is not None:
        if model is not None or pk is not None:
            raise ValidationError(
                {"instance": "Give either an instance or a model and a primary key, not both."}
            )
        if not isinstance(instance, models.Model) or instance.pk is None:
            raise ValidationError({"instance": "instance must be a saved model instance."})
        model, pk = type(instance), instance.pk
    if model is None or pk is None:
        missing = "model" if model is None else "pk"
        raise ValidationError({missing: "audit_trail needs an instance, or a model and a primary key."})
    if not (isinstance(model, type) and issubclass(model, models.Model)) or '"."' not in model._meta.db_table:
        raise ValidationError({"model": "model must be a model of one of the six schemas."})
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10_000:
        raise ValidationError({"limit": "limit must be a whole number from 1 to 10,000."})
    pk = v.text(str(pk), name="pk", max_length=255)
    schema, _, table = audit.table_key(model).partition(".")
    return list(
        AuditLog.objects.filter(
            schema_name=schema, table_name=table, resource_id=str(pk), action__in=ROW_ACTIONS
        ).order_by("-created_at")[:limit]
    )


def prune_audit(*, older_than: dt.timedelta, dry_run: bool = False) -> int:
    """Delete the audit entries (shared.audit_logs) created more than `older_than` ago: whole months as
    dropped partitions (constant time), the cutoff's month row by row. Returns the entries (that would
    be) deleted; a big dropped month counts by the planner's estimate.

    Retention: `older_than` is at least AUDIT_MIN_RETENTION (a year). Who may: whoever runs
    `manage.py audit_prune` on the server (no admin action deletes the audit); the prune is recorded
    as one entry (action "prune", resource_type "shared.audit_logs") naming its actor (`--as`).

    Raises ValidationError keyed by the argument: older_than not from a year to ten years, dry_run
    not a bool.
    """
    older_than = v.duration(older_than, name="older_than", min_value=AUDIT_MIN_RETENTION)
    dry_run = v.boolean(dry_run, name="dry_run")
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        pruned = partitions.prune(
            table=audit.table_key(AuditLog),
            column="created_at",
            before=cutoff,
            queryset=AuditLog.objects.filter(created_at__lt=cutoff),
            dry_run=dry_run,
        )
        if not dry_run:
            audit.record_prune(
                table=audit.table_key(AuditLog), older_than=older_than, cutoff=cutoff, pruned=pruned
            )
    return pruned.rows
