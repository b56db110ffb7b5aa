"""Public API of the shared schema: create users and record audit events.

Sibling apps call these instead of touching the models directly; they validate first and write in a
transaction, so bad input raises `ValidationError` and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from .models import AuditLog, User


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
    entry = AuditLog(
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else "",
        user=user,
        metadata=metadata or {},
    )
    entry.full_clean()
    entry.save(force_insert=True)
    return entry
