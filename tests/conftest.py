"""Project-wide fixtures. Tests run against the real PostgreSQL (embedded unless DATABASE_URL is set)."""

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """One cheap hasher for the whole run: admin_client and the factories create users in most tests, and
    PBKDF2's 1,000,000 rounds cost about half a second a hash on these machines (cookiecutter-django and
    healthchecks set the same once in their test settings). Tests of hashing itself override it back."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def staff_user(db):
    from shared.services import create_user

    return create_user(email="staff@tekup.dk", name="Staff", password="a-long-test-passw0rd", is_staff=True)
