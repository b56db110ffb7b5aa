"""What `manage.py start` does besides migrating and serving: the first login and the emptiness test."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

DEFAULT_ADMIN_EMAIL = "admin@tekup.local"
PASSWORD_FILE_NAME = "admin-password.txt"


@dataclass(frozen=True)
class AdminLogin:
    email: str | None
    created: bool
    message: str


def password_file() -> Path:
    """Beside the embedded server's data directory, never inside it: PostgreSQL owns that directory,
    and a base backup (pg_basebackup, a replica) would copy the file or fail on it (the server's user
    may not read a file root wrote there)."""
    data_dir = Path(settings.TEKUPDB_DATA_DIR)
    return data_dir.with_name(f"{data_dir.name}.{PASSWORD_FILE_NAME}")


def _password_file_of_earlier_versions() -> Path:
    return Path(settings.TEKUPDB_DATA_DIR) / PASSWORD_FILE_NAME


def ensure_admin_login(*, debug: bool) -> AdminLogin:
    """Make sure a newcomer can log in, and say how. Creates nothing when DEBUG is off."""
    User = get_user_model()
    if not debug:
        return AdminLogin(
            None,
            False,
            "DEBUG is off: no superuser is created automatically. "
            "Create one with `python manage.py createsuperuser`.",
        )
    email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip().lower() or DEFAULT_ADMIN_EMAIL
    env_password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
    with transaction.atomic():
        # Two `start`s at once must not both create the user (or both write the password file).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('tekupdb.start.admin-login'))")
        user = User.objects.filter(email=email).first()
        created = user is None
        if env_password:
            if created:
                User.objects.create_superuser(email=email, password=env_password, name="Administrator")
            how = "the password in DJANGO_SUPERUSER_PASSWORD"
        else:
            stored = _read_password()
            if created or stored is None or not user.check_password(stored):
                if not created and stored is not None:
                    # Someone changed it on purpose: don't overwrite their password.
                    return AdminLogin(
                        email,
                        False,
                        f"Log in at /admin/ as {email} with the password you set "
                        "(reset it with `python manage.py changepassword`).",
                    )
                stored = secrets.token_urlsafe(15)
                if created:
                    User.objects.create_superuser(email=email, password=stored, name="Administrator")
                else:
                    user.set_password(stored)
                    user.save(update_fields=["password"])
                _write_password(stored)
            how = f"password {stored} (kept in {password_file()})"
    return AdminLogin(email, created, f"Log in at /admin/ as {email} with {how}.")


def _read_password() -> str | None:
    earlier = _password_file_of_earlier_versions()
    if earlier.exists() and not password_file().exists():
        os.replace(earlier, password_file())  # moved out of the data directory, once
    try:
        return password_file().read_text().strip() or None
    except FileNotFoundError:
        return None


def _write_password(password: str) -> None:
    path = password_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    os.replace(tmp, path)


def database_is_empty() -> bool:
    """True when no table of the schema apps holds a row (users excepted: start creates one)."""
    for model in apps.get_models():
        if getattr(model._meta.app_config, "schema", None) is None:
            continue
        if model is get_user_model():
            continue
        if model._default_manager.exists():
            return False
    return True
