"""Fixtures of the renos tests: a clock the tests move."""

import datetime as dt

import pytest

from tests.support.clock import freeze_clock


@pytest.fixture
def clock(monkeypatch):
    return freeze_clock(monkeypatch, dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC))
