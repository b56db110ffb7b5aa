"""Fixtures of the partition tests: a clock (django.utils.timezone.now, which the services read)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(datetime(2025, 6, 14, 10, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", clock)
    return clock
