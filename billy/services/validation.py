"""The checks the billy services run on their arguments before they touch the database.

Each returns the value as the service uses it, or raises `ValidationError` keyed by the argument's name
(through `shared.validation`, whose rules every app shares).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared import validation as v

from ..models import Organization

# A cache entry or a pruning horizon longer than this is a mistake.
MAX_TTL = timedelta(days=3660)


def _text(field: str, value: Any, *, max_length: int = 255) -> str:
    return v.text(value, name=field, max_length=max_length)


def _optional_text(field: str, value: Any, *, max_length: int | None = 255) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return v.optional_text(value, name=field, max_length=max_length or v.TEXT_MAX_LENGTH)


def _organization(value: Any, field: str = "organization") -> Organization:
    return v.instance(value, name=field, model=Organization)


def _json_text(field: str, value: Any) -> str:
    return v.json_text(value, name=field)


def _aware(field: str, value: Any) -> datetime:
    return v.aware_datetime(value, name=field)


def _positive_timedelta(field: str, value: Any) -> timedelta:
    return v.duration(value, name=field, max_value=MAX_TTL)
