"""The test run hashes passwords with one cheap hasher (tests/conftest.py), in every folder."""

from django.conf import settings
from django.contrib.auth.hashers import get_hasher

from shared.services import create_user


def test_the_run_hashes_fast_everywhere(db):
    user = create_user(email="fast@tekup.dk", name="Fast", password="a-long-test-passw0rd")

    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert get_hasher().algorithm == "md5"
    assert user.password.startswith("md5$")
    assert user.check_password("a-long-test-passw0rd")
