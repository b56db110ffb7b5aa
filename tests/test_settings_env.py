import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_empty_variables_as_in_env_example_mean_defaults():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update(
        DEBUG="",
        TEKUPDB_DATA_DIR="",
        SECRET_KEY="",
        DATABASE_URL="",
        DJANGO_SETTINGS_MODULE="tekupdb.settings",
    )
    script = "from django.conf import settings as s; print(s.DEBUG, s.TEKUPDB_DATA_DIR, s.EMBEDDED_DATABASE)"

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", str(ROOT / ".pgdata"), "True"]
