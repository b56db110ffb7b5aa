"""Public API of the shared schema: create users and record audit events.

Sibling apps call these instead of touching the models directly; they validate first and write in a
transaction, so bad input raises `ValidationError` (keyed by the argument's name) and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shared import validation as v

from .models import AuditLog, User

__all__ = ["create_user", "log_event"]


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
    entry = AuditLog(
        action=v.model_field(AuditLog, "action", action),
        resource_type=v.model_field(AuditLog, "resource_type", resource_type),
        resource_id=v.text(
            "" if resource_id is None else str(resource_id), name="resource_id", max_length=255, blank=True
        ),
        user=v.optional_instance(user, name="user", model=User),
        metadata=v.json_object(metadata, name="metadata") or {},
    )
    v.full_clean(entry)
    with transaction.atomic():
        entry.save(force_insert=True)
    return entry
