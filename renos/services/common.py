"""What the modules of the renos services share: the clock, the checks of money, percentages and saved
rows, and copying what was written back onto the caller's instance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from shared import validation as v


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return timezone.localdate(_now())


def _percent(value: Any, *, name: str) -> Decimal:
    return v.decimal(value, name=name, max_digits=5, decimal_places=2, min_value=0, max_value=100)


def _money(value: Any, *, name: str) -> Decimal:
    return v.decimal(value, name=name, max_digits=12, decimal_places=2)


def _require_saved(obj: Any, model: type, *, name: str) -> None:
    v.instance(obj, name=name, model=model)


def _editable_fields(model: type[models.Model], *, exclude: set[str]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if f.editable and f.name not in exclude}


def _copy_fields(source: Any, target: Any, names: Sequence[str]) -> None:
    """Bring the caller's instance up to date with what was written."""
    if target is not source:
        for name in names:
            setattr(target, name, getattr(source, name))
