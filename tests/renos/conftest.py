"""Fixtures of the renos tests: a clock the tests move."""

import datetime as dt

import pytest
from django.utils import timezone


class Clock:
    """Replaces django.utils.timezone.now (which renos.services reads) with a time the test sets."""

    def __init__(self, monkeypatch, start: dt.datetime):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now

    def set(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return self.now


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC))
