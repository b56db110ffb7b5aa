"""Fixtures for the sibling tests: the tekupdb wheel, a Python that has it installed, and a sibling
project (tests/sibling/project) that runs in a subprocess against the test database as the billy role.

The sibling's Python is a virtual environment over this interpreter's site-packages (the runtime
dependencies are there already) with the wheel installed on top, and the sibling runs from its own
directory: `shared` and `billy` come from the wheel, not from this checkout. `.ci/run` does the same
from requirements.txt in a fresh environment.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from psycopg import sql

from operations import pg
from tekupdb.db.routers import TEKUP_APP_LABELS
from tests.support.once import built_once

REPO = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).resolve().parent / "project"
# Roles belong to the whole cluster: one set per parallel worker (tests/ is run by pytest-xdist).
ROLE_PREFIX = f"tekup_sibling_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_"
ROLE = f"{ROLE_PREFIX}billy"
READONLY_ROLE = f"{ROLE_PREFIX}readonly"
SCHEMA = "sibling"


def source_files() -> list[str]:
    """The files of the working tree as git sees them: tracked and new, not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and (REPO / name).is_file()})


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel . --no-deps`, run in a copy of the source files: an in-place build would leave build/
    and *.egg-info behind, and setuptools reuses a stale build/ in the next wheel. Built once per run."""
    with built_once(tmp_path_factory, "sibling-wheel") as (wheelhouse, build):
        if build:
            source = tmp_path_factory.mktemp("source")
            for name in source_files():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, source / name)
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--quiet", "--wheel-dir",
                 str(wheelhouse)],
                cwd=source,
                check=True,
                timeout=600,
            )  # fmt: skip
    (built,) = wheelhouse.glob("tekupdb-*.whl")
    return built


@pytest.fixture(scope="session")
def sibling_python(wheel, tmp_path_factory) -> Path:
    """A virtual environment with the wheel installed, made once per run."""
    with built_once(tmp_path_factory, "sibling-venv") as (venv, build):
        if build:
            _make_sibling_venv(venv, wheel)
    return venv / "bin" / "python"


def _make_sibling_venv(venv: Path, wheel: Path) -> None:
    # Without pip of its own (ensurepip alone takes seconds): this interpreter's pip installs into it.
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True
    )
    python = venv / "bin" / "python"
    # --system-site-packages reaches the base interpreter's packages only; when the tests themselves run
    # in a virtual environment (CI's Python 3.13 run), its packages are reached through a .pth file.
    # The wheel, installed into the sibling's own site-packages, still comes first on sys.path.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "tekup_tests_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )


def sibling_env(*, user: str = ROLE, password: str = "", **extra: str) -> dict[str, str]:
    """The sibling's environment: the test database as `user`, the project's encryption keys."""
    params = pg.connection_params()
    host = quote(str(params.get("host", "")), safe="")
    port = f":{params['port']}" if params.get("port") else ""
    auth = f"{quote(user, safe='')}:{quote(password, safe='')}" if password else quote(user, safe="")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "DATABASE_URL"}
    }
    env.update(
        DATABASE_URL=f"postgres://{auth}@{host}{port}/{params['dbname']}",
        SECRET_KEY="sibling-tests-only",
        TEKUPDB_ENCRYPTION_KEY=",".join(settings.TEKUPDB_ENCRYPTION_KEYS),
        SIBLING_SCHEMA=SCHEMA,
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


@pytest.fixture
def billy_role(transactional_db, settings):
    """The billy role of `manage.py db_roles` (with a password), and the sibling's own schema, owned by it:
    what a DBA sets up for a sibling service. Dropped afterwards, with all the sibling made."""
    settings.TEKUPDB_ROLE_PREFIX = ROLE_PREFIX
    call_command("db_roles", "--apply", "--schema", "billy", verbosity=0)
    password = secrets.token_urlsafe(24)
    role = sql.Identifier(ROLE)
    with pg.connect() as conn:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(password)))
        conn.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(sql.Identifier(SCHEMA), role))
    yield password
    # db_roles also makes the read-only role of the prefix (roles are the server's, not the database's).
    with pg.connect() as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCHEMA)))
        for name in (ROLE, READONLY_ROLE):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone():
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


@pytest.fixture
def sibling(sibling_python, billy_role):
    """Run `manage.py ARGS` of the sibling project as the billy role (or as the database's owner, as a
    sibling that was handed the owner's credentials would); returns the finished process."""

    def run(*args: str, as_owner=False, timeout=180.0, **extra_env) -> subprocess.CompletedProcess:
        if as_owner:
            params = pg.connection_params()
            login = {"user": params["user"], "password": str(params.get("password", ""))}
        else:
            login = {"user": ROLE, "password": billy_role}
        return subprocess.run(
            [str(sibling_python), "manage.py", *args],
            cwd=PROJECT,
            env=sibling_env(**login, **extra_env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


def catalog_digest() -> dict[str, list[tuple]]:
    """What the six schemas and `public` are made of, read from the catalog as the owner: schemas,
    relations, columns, constraints, indexes, triggers, functions, privileges, and the migration
    records of `public.django_migrations`. Equal before and after = the sibling changed none of it."""
    schemas = [*sorted(TEKUP_APP_LABELS), "public"]
    queries = {
        "schemas": """
            SELECT nspname, nspowner::regrole::text, coalesce(nspacl::text, '')
            FROM pg_namespace WHERE nspname = ANY(%(s)s)""",
        "relations": """
            SELECT n.nspname, c.relname, c.relkind, c.relowner::regrole::text, coalesce(c.relacl::text, '')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%(s)s)""",
        "columns": """
            SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   coalesce(pg_get_expr(d.adbin, d.adrelid), ''), coalesce(a.attacl::text, '')
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = ANY(%(s)s) AND a.attnum > 0 AND NOT a.attisdropped""",
        "constraints": """
            SELECT n.nspname, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = ANY(%(s)s)""",
        "indexes": """
            SELECT schemaname, tablename, indexname, indexdef
            FROM pg_indexes WHERE schemaname = ANY(%(s)s)""",
        "triggers": """
            SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(%(s)s)""",
        "functions": """
            SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc),
                   coalesce(p.proacl::text, '')
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY(%(s)s)""",
        "default privileges": """
            SELECT defaclnamespace::regnamespace::text, defaclrole::regrole::text, defaclobjtype,
                   defaclacl::text
            FROM pg_default_acl WHERE defaclnamespace::regnamespace::text = ANY(%(s)s)""",
        "migrations": "SELECT app, name FROM public.django_migrations",
    }
    with pg.connect() as conn:
        return {name: sorted(conn.execute(sql_, {"s": schemas}).fetchall()) for name, sql_ in queries.items()}
