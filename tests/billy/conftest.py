"""Fixtures of the billy tests: a clock that tests can set and move."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from billy.factories import OrganizationFactory


class Clock:
    """Stands in for django.utils.timezone.now, which every billy service reads."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(datetime(2025, 3, 14, 10, 7, 30, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Rendetalje ApS", billy_organization_id="org-rendetalje")
