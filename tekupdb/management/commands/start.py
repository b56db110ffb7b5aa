"""One command from a fresh clone to a working admin: migrate, make sure someone can log in, seed an
empty database with demo data, and serve the admin on http://127.0.0.1:8000/admin/.

The login comes from DJANGO_SUPERUSER_EMAIL/DJANGO_SUPERUSER_PASSWORD when set; otherwise a superuser
with a generated password is created once, and the password is kept in the data directory (never in
the code, never in the repository). Every start prints how to log in. With DEBUG off no superuser is
created: production accounts are made deliberately with `createsuperuser`.
"""

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from tekupdb import startup


class Command(BaseCommand):
    help = "Migrate, ensure an admin login, seed an empty database, and serve the admin."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="where to serve")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")
        parser.add_argument("--no-seed", action="store_true", help="do not seed an empty database")

    def handle(self, *args, addrport, no_serve, no_seed, **options):
        verbosity = options["verbosity"]
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
