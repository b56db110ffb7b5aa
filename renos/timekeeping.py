"""renos' time rules: the minutes a job took and the figures a stopped timer leaves on a booking.

Written once here; `renos.services.stop_timer`, `Break.compute_duration` and the demo data call these,
so a seeded booking's timer reads exactly as one stopped through the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from shared.money import to_cents

__all__ = ["TimerFigures", "efficiency_score", "minutes_between", "paused_between", "stopped_timer"]


def minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes from start to end, rounded half up (90 s → 2 min)."""
    seconds = (end - start).total_seconds()
    return int((seconds + 30) // 60)


def paused_between(
    start: dt.datetime, stop: dt.datetime, breaks: Iterable[tuple[dt.datetime, dt.datetime]]
) -> dt.timedelta:
    """Time on closed breaks inside start..stop: only the part of each break within that span counts."""
    paused = dt.timedelta()
    for begin, end in breaks:
        paused += max(min(end, stop) - max(begin, start), dt.timedelta())
    return paused


def efficiency_score(estimated_minutes: int, actual_minutes: int) -> Decimal | None:
    """Estimate ÷ actual, to two decimals (half up); None when nothing was worked."""
    if not actual_minutes:
        return None
    return to_cents(Decimal(estimated_minutes) / Decimal(actual_minutes))


@dataclass(frozen=True)
class TimerFigures:
    """What stopping a timer writes on the booking, besides the stop time and the statuses."""

    actual_duration: int
    time_variance: int
    efficiency_score: Decimal | None


def stopped_timer(
    *,
    start: dt.datetime,
    stop: dt.datetime,
    estimated_minutes: int,
    breaks: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> TimerFigures:
    """The figures of a timer run from start to stop with these (closed) breaks.

    actual_duration: minutes from start to stop less the breaks, rounded half up (0 when the breaks
    cover it all); time_variance: actual − estimate in minutes; efficiency_score: estimate ÷ actual.
    """
    worked_until = stop - paused_between(start, stop, breaks)
    actual = minutes_between(start, worked_until) if worked_until > start else 0
    return TimerFigures(
        actual_duration=actual,
        time_variance=actual - estimated_minutes,
        efficiency_score=efficiency_score(estimated_minutes, actual),
    )
