"""The argument checks that more than one module of the flow services needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared import validation as v

from ..models import Workflow


def _aware(value: Any, name: str) -> datetime | None:
    return v.optional_aware_datetime(value, name=name)


def _workflow(value: Any, name: str = "workflow") -> Workflow:
    return v.instance(value, name=name, model=Workflow)
