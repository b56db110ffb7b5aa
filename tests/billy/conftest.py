"""Fixtures of the billy tests: a clock that tests can set and move, and an organization."""

from datetime import UTC, datetime

import pytest

from billy.factories import OrganizationFactory
from tests.support.clock import freeze_clock


@pytest.fixture
def clock(monkeypatch):
    return freeze_clock(monkeypatch, datetime(2025, 3, 14, 10, 7, 30, tzinfo=UTC))


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Rendetalje ApS", billy_organization_id="org-rendetalje")
