"""Fixtures of the partition tests: a clock (django.utils.timezone.now, which the services read)."""

from datetime import UTC, datetime

import pytest

from tests.support.clock import freeze_clock


@pytest.fixture
def clock(monkeypatch):
    return freeze_clock(monkeypatch, datetime(2025, 6, 14, 10, 0, tzinfo=UTC))
