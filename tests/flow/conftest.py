import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """admin_client logs in a fresh superuser per test: hash its password cheaply (tests only)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
