"""Helpers for the deployment tests: read the deploy files, run the project as production would."""

from __future__ import annotations

import base64
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.once import built_once

REPO = Path(__file__).resolve().parents[2]

# The variables of a production-like start: DEBUG off and every required value present. The database
# URL points at a port where nothing listens, for commands that must not connect.
UNREACHABLE_DATABASE_URL = "postgres://tekup@127.0.0.1:1/tekup"


def production_env(**overrides: str) -> dict[str, str]:
    """A clean environment (nothing inherited but PATH and locale) for a production-like process."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "tekupdb.settings",
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": UNREACHABLE_DATABASE_URL,
        "TEKUPDB_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    env.update(overrides)
    return env


def run_python(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def dockerfile_instructions(path: Path = REPO / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions = []
    current = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def leading_assignments(command: str) -> dict[str, str]:
    """The `NAME=value` words that prefix a shell command: the environment of that one command."""
    assignments = {}
    for word in shlex.split(command):
        match = re.fullmatch(r"([A-Z_][A-Z0-9_]*)=(.*)", word)
        if not match:
            break
        assignments[match[1]] = match[2]
    return assignments


def collectstatic_build_env() -> dict[str, str]:
    """The dummy variables the Dockerfile gives `collectstatic` at build time."""
    instructions = dockerfile_instructions()
    runs = [args for keyword, args in instructions if keyword == "RUN" and "collectstatic" in args]
    assert len(runs) == 1, "exactly one RUN collects the static files"
    return leading_assignments(runs[0])


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """STATIC_ROOT filled the way the image build fills it (its very variables), once per run: the
    workers that need it share one (collectstatic compresses every file: seconds of CPU)."""
    with built_once(tmp_path_factory, "staticfiles") as (static_root, build):
        if build:
            env = production_env(**collectstatic_build_env(), STATIC_ROOT=str(static_root))
            result = run_python(["manage.py", "collectstatic", "--noinput"], env)
            assert result.returncode == 0, result.stderr
    return static_root
