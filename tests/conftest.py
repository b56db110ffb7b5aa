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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Django's test database, dropped at the end of the run even when idle pooled connections remain.

    Django closes the pool of each alias before dropping the test database, but a test that overrides
    DATABASES (or a replica alias that comes and goes) makes Django build new connection wrappers: the
    pools of the old ones are never closed, and their idle connections made the drop fail ("is being
    accessed by other users"), leaving test_tekup behind. They are this run's own idle sessions, so
    they are ended here, just before Django's teardown drops the database."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
            )
        connections["default"].close()
        connections["default"].close_pool()
