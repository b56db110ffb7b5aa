"""Validation helpers that every app's services share."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


def decimal_value(value: Any, *, name: str, allow_float: bool = False) -> Decimal:
    """A finite Decimal from a Decimal, int or numeric string (and a float via its repr, if allowed).

    Money is exact: callers that take amounts leave `allow_float` off, so 0.1 + 0.2 never sneaks in.
    """
    accepted = (Decimal, int, str, float) if allow_float else (Decimal, int, str)
    if isinstance(value, bool) or not isinstance(value, accepted):
        kinds = (
            "a Decimal, an int, a float or a numeric string"
            if allow_float
            else ("a Decimal, an int or a numeric string")
        )
        raise ValidationError({name: f"{name} must be {kinds}, not {type(value).__name__}."})
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({name: f"{name} must be a number, not {value!r}."}) from None
    if not number.is_finite():
        raise ValidationError({name: f"{name} must be a finite number, not {value}."})
    return number


def save_new(obj, *, unique_message: str | None = None):
    """full_clean, then INSERT; a unique violation that slips past validation (a race) is refused too."""
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError as error:
        raise ValidationError(
            unique_message or f"{obj._meta.verbose_name} could not be saved: {error}"
        ) from None
    return obj
