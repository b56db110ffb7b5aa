"""Project-wide fixtures. Tests run against the real PostgreSQL (embedded unless DATABASE_URL is set)."""

import pytest


@pytest.fixture
def staff_user(db):
    from shared.services import create_user

    return create_user(email="staff@tekup.dk", name="Staff", password="a-long-test-passw0rd", is_staff=True)
