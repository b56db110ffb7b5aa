"""PostgreSQL roles: one per app schema for sibling services (read-write on their schema, read-only on
shared), and `<prefix>readonly` for the admin's SQL tool (SELECT on the six schemas, read-only
transactions, 15 s statement timeout). No role may read the password hashes; the read-only role may not
read the encrypted secrets either (column-level grants, see operations.roles).

Without --apply the SQL is printed for review (or for a DBA to run); with --apply it runs in one
transaction. Roles are created with LOGIN but no password: set one with ALTER ROLE ... PASSWORD.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from operations import pg, roles
from operations.health import app_schemas


class Command(BaseCommand):
    help = (
        "Print (or --apply) one role per app schema (read-write on its schema, read-only on shared) and "
        "the read-only role of the SQL tool over every app schema. --schema limits the per-schema roles. "
        "Roles get LOGIN and no password: give each role that logs in over the network one with ALTER ROLE "
        "<role> PASSWORD '...' (the read-only role's goes into TEKUPDB_READONLY_DATABASE_URL). "
        "Exit codes: 0 done; 1 an unknown schema, or the roles could not be applied; 2 usage error."
    )

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
                database = conn.info.dbname
                statements = roles.roles_sql(schemas=schemas, database=database)
                statements += roles.readonly_sql(schemas=known, database=database)
                self.stdout.write(roles.render(statements, conn))
                return
            try:
                created = roles.apply_roles(conn, schemas=schemas, readonly_schemas=known)
            except Exception as exc:
                raise CommandError(f"Could not apply the roles: {exc}") from exc
        connection.close()
        self.stdout.write(self.style.SUCCESS(f"Applied roles: {', '.join(created)}"))
        self.stdout.write(
            "Set a password for each role that logs in over the network: ALTER ROLE <role> PASSWORD '...'."
        )
