"""Per-schema PostgreSQL roles for sibling services: read-write on their schema, read-only on shared.

Without --apply the SQL is printed for review (or for a DBA to run); with --apply it runs in one
transaction. Roles are created with LOGIN but no password: set one with ALTER ROLE ... PASSWORD.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tekupdb.health import app_schemas
from tekupdb.ops import pg, roles


class Command(BaseCommand):
    help = "Print (or --apply) one role per app schema: read-write on its schema, read-only on shared."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Create the roles and grants now.")
        parser.add_argument(
            "--schema", action="append", dest="schemas", metavar="S", help="Only this schema."
        )

    def handle(self, *args, **options):
        known = app_schemas()
        schemas = options["schemas"] or known
        unknown = sorted(set(schemas) - set(known))
        if unknown:
            raise CommandError(f"Not an app schema: {', '.join(unknown)} (known: {', '.join(known)}).")
        with pg.connect(connect_timeout=10) as conn:
            if not options["apply"]:
                self.stdout.write(
                    roles.render(roles.roles_sql(schemas=schemas, database=conn.info.dbname), conn)
                )
                return
            try:
                created = roles.apply_roles(conn, schemas=schemas)
            except Exception as exc:
                raise CommandError(f"Could not apply the roles: {exc}") from exc
        connection.close()
        self.stdout.write(self.style.SUCCESS(f"Applied roles: {', '.join(created)}"))
        self.stdout.write(
            "Set a password for each role that logs in over the network: ALTER ROLE <role> PASSWORD '...'."
        )
