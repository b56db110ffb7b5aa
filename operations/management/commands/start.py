"""One command from a fresh clone to a working admin: migrate, make sure someone can log in, seed an
empty database with demo data, and serve the admin on http://127.0.0.1:8000/admin/.

The login comes from DJANGO_SUPERUSER_EMAIL/DJANGO_SUPERUSER_PASSWORD when set; otherwise a superuser
with a generated password is created once, and the password is kept in the data directory (never in
the code, never in the repository). Every start prints how to log in. With DEBUG off no superuser is
created: production accounts are made deliberately with `createsuperuser`.
"""

import errno
import socket

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from operations import startup


class Command(BaseCommand):
    help = (
        "Migrate, ensure an admin login, seed an empty database, and serve the admin. "
        "Exit codes: 0 served and stopped (or prepared, with --no-serve); 1 failed (the port is taken, "
        "say); 2 usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="where to serve: PORT or ADDRESS:PORT (default 127.0.0.1:8000)",
        )
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")
        parser.add_argument("--no-seed", action="store_true", help="do not seed an empty database")

    def handle(self, *args, addrport, no_serve, no_seed, **options):
        verbosity = options["verbosity"]
        if not no_serve:
            refuse_a_busy_port(addrport)  # before anything says it serves, and before minutes of seeding
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        self.stdout.write(self.style.SUCCESS("Database migrated."))

        if not no_seed and "seed" in get_commands() and startup.database_is_empty():
            self.stdout.write("Empty database: seeding demo data (size small)…")
            call_command("seed", size="small", verbosity=max(verbosity - 1, 0))

        login = startup.ensure_admin_login(debug=settings.DEBUG)
        self.stdout.write(login.message)

        if no_serve:
            return
        host = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
        self.stdout.write(self.style.SUCCESS(f"Serving the admin at http://{host}/admin/"))
        call_command("runserver", addrport, use_reloader=False)


def split_addrport(addrport: str) -> tuple[str, int]:
    """("127.0.0.1", 8000) from "8000", "0.0.0.0:8000" or "[::1]:8000", as runserver reads them."""
    host, _, port = addrport.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit():
        raise CommandError(f"{addrport!r} is not a port or address:port (e.g. 8001 or 127.0.0.1:8001).")
    return host, int(port)


def refuse_a_busy_port(addrport: str) -> None:
    """CommandError naming the port and how to choose another, if something already listens on it."""
    host, port = split_addrport(addrport)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise CommandError(f"Cannot serve on {host}:{port}: {exc.strerror}.") from exc
            raise CommandError(
                f"Port {port} on {host} is already in use (another server, or an earlier start still "
                f"running). Stop it, or choose another port: python manage.py start {host}:{port + 1}"
            ) from exc
