"""Fixtures for the operations commands: run them as processes against the test database."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[2]


def env_for_test_database() -> dict:
    """Environment under which `manage.py` uses the same database as the running tests."""
    from django.db import connection

    connection.ensure_connection()
    settings_dict = connection.settings_dict
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    if settings_dict.get("EMBEDDED_DATA_DIR"):
        env["TEKUPDB_EMBEDDED_DB_NAME"] = settings_dict["NAME"]
        env.pop("DATABASE_URL", None)
    else:
        user = quote(settings_dict["USER"] or "", safe="")
        password = quote(settings_dict["PASSWORD"] or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = quote(settings_dict["HOST"] or "", safe="")
        port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
        env["DATABASE_URL"] = f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"
    return env


@pytest.fixture
def manage(db):
    """Run `python manage.py ARGS` as a process against the test database."""

    def run(*args, env=None, timeout=120):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=env or env_for_test_database(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
