"""A clock the tests set and move: it stands in for `django.utils.timezone.now`, which every service reads."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone


class Clock:
    """Callable in place of `timezone.now`: returns `now`, which the test sets or advances."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("the clock runs on aware datetimes, as timezone.now does")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by `timedelta(**delta)` and return the new time."""
        self.now += timedelta(**delta)
        return self.now


def freeze_clock(monkeypatch: pytest.MonkeyPatch, start: datetime) -> Clock:
    """Stop time at `start` for the rest of the test (monkeypatch undoes it) and return the clock.

    Only code that reads `django.utils.timezone.now` at call time sees it: the database's own `now()`
    and column defaults (`db_default=Now()`) still run on the server's clock."""
    clock = Clock(start)
    monkeypatch.setattr(timezone, "now", clock)
    return clock
