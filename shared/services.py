"""Public API of the shared schema: create users, record audit events, act as a user, read the audit.

Sibling apps call these instead of touching the models directly; they validate first and write in a
transaction, so bad input raises `ValidationError` and writes nothing.

The database audits every write itself (shared.audit); code that writes on someone's behalf wraps the
work in `acting_as(user)`, and loads of many rows in `summarised_audit(label)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from . import audit
from .models import AuditLog, User

summarised_audit = audit.summarised_audit
ROW_ACTIONS = ("insert", "update", "delete")


def create_user(*, email: str, name: str, password: str | None = None, is_staff: bool = False) -> User:
    """Create a user; with no password the user cannot log in until one is set."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"'{email}' is not a valid email address."}) from None
    user = User(email=email, name=(name or "").strip(), is_staff=is_staff)
    if password is not None:
        password_validation.validate_password(password, user)
    user.set_password(password)
    # Uniqueness (also of the email in any case) is the database's: see the IntegrityError below.
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
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
    """Append one event to the shared audit log."""
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError({"metadata": "metadata must be a dict."})
    actor = user if user is not None else _current_user_or_none()
    entry = AuditLog(
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else "",
        actor_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else "",
        metadata=metadata or {},
    )
    entry.full_clean()
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


def user_by_email(email: str) -> User:
    """The user with this email (any case), for a command's `--as EMAIL`; ValidationError if none."""
    try:
        return User.objects.get(email__iexact=(email or "").strip())
    except User.DoesNotExist:
        raise ValidationError({"email": f"No user has the email '{email}'."}) from None


def audit_trail(*, instance=None, model=None, pk=None, limit: int = 100) -> list[AuditLog]:
    """The audit entries of one row, newest first: by `instance`, or by `model` and primary key `pk`.

    Each entry has `.action` ("insert", "update" or "delete"), `.actor` (an email or `sql:<role>`),
    `.changes` (`{column: [before, after]}`; before is None on insert, after on delete) and `.at`.
    """
    if instance is not None:
        if model is not None or pk is not None:
            raise ValidationError("Give either an instance or a model and a primary key, not both.")
        model, pk = type(instance), instance.pk
    if model is None or pk is None:
        raise ValidationError("audit_trail needs an instance, or a model and a primary key.")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValidationError({"limit": "limit must be a positive whole number."})
    schema, _, table = audit.table_key(model).partition(".")
    return list(
        AuditLog.objects.filter(
            schema_name=schema, table_name=table, resource_id=str(pk), action__in=ROW_ACTIONS
        ).order_by("-created_at")[:limit]
    )
