"""CI: the wheel a sibling service installs works on its own.

Builds `pip wheel . --no-deps` from a copy of the checkout's files (an in-place build leaves build/ behind
and reuses it), installs it with requirements.txt into a fresh virtual environment, and there, away from
the checkout, sets Django up as a sibling would (every app, SiblingRouter), imports every module of every
app, loads their migrations and runs the system checks. Exit code 0 when all of that works, 1 otherwise.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

IN_THE_VENV = """
import importlib, pkgutil, sys
import django
from django.conf import settings

APPS = ["shared", "vault", "billy", "renos", "crm", "flow"]
settings.configure(
    INSTALLED_APPS=[
        "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
        "django.contrib.sessions", "django.contrib.messages", "django.contrib.postgres", "pgtrigger", *APPS,
    ],
    AUTH_USER_MODEL="shared.User",
    # Never connected to: the checks without --database need no server.
    DATABASES={"default": {"ENGINE": "tekupdb.db.backend", "NAME": "tekup", "HOST": "127.0.0.1"}},
    DATABASE_ROUTERS=["tekupdb.db.routers.SiblingRouter"],
    TEKUPDB_ENCRYPTION_KEYS=["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
    SECRET_KEY="ci-wheel-check",
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    TEMPLATES=[{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
        ]},
    }],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware"],
)
django.setup()
imported = 0
for app in APPS + ["tekupdb.db"]:
    package = importlib.import_module(app)
    assert "site-packages" in package.__path__[0], f"{app} imported from {package.__path__[0]}"
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
        importlib.import_module(module.name)
        imported += 1
try:
    importlib.import_module("tekupdb.settings")
except ModuleNotFoundError:
    pass
else:
    sys.exit("tekupdb.settings is in the wheel")

from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

migrations = [key for key in MigrationLoader(None).disk_migrations if key[0] in APPS]
assert {app for app, _ in migrations} == set(APPS)
call_command("check", fail_level="WARNING")
print(f"wheel: {imported} modules and {len(migrations)} migrations of {len(APPS)} apps import from the wheel")
"""


def run(*args, **kwargs):
    subprocess.run([str(arg) for arg in args], check=True, **kwargs)


def main() -> int:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        source, wheelhouse, venv = work / "source", work / "wheelhouse", work / "venv"
        for name in filter(None, listed.split("\0")):
            if (REPO / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                (source / name).write_bytes((REPO / name).read_bytes())
        try:
            run(
                sys.executable,
                "-m",
                "pip",
                "wheel",
                ".",
                "--no-deps",
                "--quiet",
                "-w",
                wheelhouse,
                cwd=source,
            )
            (wheel,) = wheelhouse.glob("tekupdb-*.whl")
            run(sys.executable, "-m", "venv", venv)
            python = venv / "bin" / "python"
            run(python, "-m", "pip", "install", "--quiet", "-r", REPO / "requirements.txt", wheel)
            run(python, "-c", IN_THE_VENV, cwd=work)
        except (subprocess.CalledProcessError, ValueError) as exc:
            sys.stderr.write(f"wheel check failed: {exc}\n")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
