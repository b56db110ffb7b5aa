"""A sibling that installs the apps wrongly is told what is wrong, by name."""

import subprocess

import pytest

from .conftest import PROJECT

pytestmark = pytest.mark.slow

# `check` without --database never connects: a closed port proves it.
NO_DATABASE = {
    "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing",
    "SECRET_KEY": "sibling-tests-only",
    "TEKUPDB_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "PYTHONWARNINGS": "ignore",
    "PATH": "/usr/bin:/bin",
}


def run_check(sibling_python, **env):
    return subprocess.run(
        [str(sibling_python), "manage.py", "check"],
        cwd=PROJECT,
        env={**NO_DATABASE, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_sibling_as_configured_passes_the_checks(sibling_python):
    result = run_check(sibling_python)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("apps", ["billy", "vault,crm"])
def test_an_app_without_shared_is_refused_naming_it(sibling_python, apps):
    result = run_check(sibling_python, SIBLING_TEKUP_APPS=apps)
    assert result.returncode == 1
    first = apps.split(",")[0]
    assert (
        f"django.core.exceptions.ImproperlyConfigured: The app '{first}' needs the app 'shared' in "
        "INSTALLED_APPS" in result.stderr
    )


def test_a_user_model_other_than_shared_user_is_a_check_error(sibling_python):
    result = run_check(sibling_python, SIBLING_AUTH_USER_MODEL="auth.User")
    assert result.returncode == 1
    assert "shared.E001" in result.stderr
    assert "AUTH_USER_MODEL is 'auth.User', but the app 'shared' is installed" in result.stderr
