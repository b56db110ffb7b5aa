"""One PostgreSQL role per app schema, for the sibling services that share the database.

Each role may log in, reads and writes the tables and sequences of its own schema (also those that
later migrations create, through default privileges), and reads `shared`. It gets no CREATE: schema
changes stay with the owner that runs migrations. No password is set here: with password
authentication a role without one cannot log in, so the operator sets it (ALTER ROLE ... PASSWORD).
"""

from __future__ import annotations

from django.conf import settings
from psycopg import sql

SHARED_SCHEMA = "shared"


def role_name(schema: str) -> str:
    return f"{settings.TEKUPDB_ROLE_PREFIX}{schema}"


def _statements(schema: str, role: str, database: str, *, create: bool) -> list[sql.Composable]:
    r, s, db = sql.Identifier(role), sql.Identifier(schema), sql.Identifier(database)
    statements: list[sql.Composable] = []
    if create:
        statements.append(
            sql.SQL(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) "
                "THEN CREATE ROLE {role} LOGIN; END IF; END $$"
            ).format(name=sql.Literal(role), role=r)
        )
    statements += [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, r),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(s, r),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, r),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(s, r),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {}"
        ).format(s, r),
    ]
    # Which migrations the database has: the version-skew check of a sibling service reads it
    # (shared.checks); it holds names only.
    statements += [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(r),
        sql.SQL("GRANT SELECT ON TABLE public.django_migrations TO {}").format(r),
    ]
    if schema != SHARED_SCHEMA:
        shared = sql.Identifier(SHARED_SCHEMA)
        statements += [
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(shared, r),
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(shared, r),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(shared, r),
        ]
    return statements


def roles_sql(*, schemas: list[str], database: str, create: bool = True) -> list[sql.Composable]:
    """The statements that create (when missing) and grant the role of each schema."""
    statements: list[sql.Composable] = []
    for schema in schemas:
        statements += _statements(schema, role_name(schema), database, create=create)
    return statements


def render(statements: list[sql.Composable], conn) -> str:
    return "\n".join(statement.as_string(conn) + ";" for statement in statements)


def existing_roles(conn, schemas: list[str]) -> list[str]:
    """The schemas (of `schemas`) whose role already exists."""
    names = {role_name(schema): schema for schema in schemas}
    rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [list(names)]).fetchall()
    return [names[row[0]] for row in rows]


def apply_roles(conn, *, schemas: list[str]) -> list[str]:
    """Create and grant the roles in one transaction; return the role names."""
    database = conn.info.dbname
    with conn.transaction():
        for statement in roles_sql(schemas=schemas, database=database):
            conn.execute(statement)
    return [role_name(schema) for schema in schemas]
