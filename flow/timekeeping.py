"""flow's time rule: how long an execution or a step took.

Written once here; `flow.services` (finish_execution, record_step), the factories and the demo data call
it, so a duration means the same whoever wrote the row.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["elapsed_ms"]


def elapsed_ms(started: datetime | None, completed: datetime | None) -> int | None:
    """Whole milliseconds from start to completion, never negative; None until both are known."""
    if started is None or completed is None:
        return None
    return max(0, round((completed - started).total_seconds() * 1000))
