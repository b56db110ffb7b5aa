"""PostgreSQL roles for the sibling services and for read-only SQL, down to the column.

- One role per app schema (`<prefix><schema>`): logs in, reads and writes the tables and sequences of
  its own schema (also those that later migrations create, through default privileges), and reads
  `shared`. It gets no CREATE: schema changes stay with the owner that runs migrations.
- `<prefix>readonly`: SELECT on every table of the six schemas and nothing else, every transaction
  read-only (`default_transaction_read_only`) and a statement timeout: the admin's SQL tool connects
  as this role, so a write or DDL is refused by the database, whatever the tool's own checks say.
- Column-level grants: no role made here may read `shared.users.password` (the password hashes), and
  the read-only role may not read the encrypted secret columns either (`secret_columns()`). PostgreSQL
  cannot subtract a column from a table-level SELECT, so on those tables the table-level SELECT is
  revoked and SELECT is granted on every other column instead. Columns added later by a migration are
  readable once `db_roles --apply` runs again (it is idempotent).

No password is set here: with password authentication a role without one cannot log in, so the
operator sets it (ALTER ROLE ... PASSWORD).
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db.backends.utils import split_identifier
from psycopg import sql

SHARED_SCHEMA = "shared"
READONLY = "readonly"
# statement_timeout of the read-only role: a runaway SELECT from the SQL tool is cancelled by the server.
READONLY_STATEMENT_TIMEOUT = "15s"
# What the read-only role gets at every login (ALTER ROLE ... SET), and what readonly_role_state looks for.
READONLY_ROLE_SETTINGS = {
    "default_transaction_read_only": "on",
    "statement_timeout": READONLY_STATEMENT_TIMEOUT,
}

# Columns no role made by db_roles may read: (app label, model, field).
PASSWORD_COLUMNS = [("shared", "User", "password")]


# Columns holding secrets encrypted at rest, kept from the read-only role (read through encrypted_fields()).
def role_name(schema: str) -> str:
    return f"{settings.TEKUPDB_ROLE_PREFIX}{schema}"


def readonly_role_name() -> str:
    return role_name(READONLY)


def _columns(fields: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(schema, table, column) of model fields, read from the models so renames follow."""
    columns = []
    for app_label, model_name, field_name in fields:
        model = apps.get_model(app_label, model_name)
        schema, table = split_identifier(model._meta.db_table)
        columns.append((schema or "public", table, model._meta.get_field(field_name).column))
    return columns


def password_columns() -> list[tuple[str, str, str]]:
    return _columns(PASSWORD_COLUMNS)


def encrypted_fields() -> list[tuple[str, str, str]]:
    """(app label, model, field) of every column encrypted at rest, from the one registry
    (`shared.fields.encrypted_fields()`)."""
    from shared.fields import encrypted_fields as registry

    return [(model._meta.app_label, model.__name__, field.name) for model, field in registry()]


def secret_columns() -> list[tuple[str, str, str]]:
    """Every column the read-only role may not read: password hashes and encrypted secrets."""
    return _columns(PASSWORD_COLUMNS) + _columns(encrypted_fields())


def _create_role(role: str) -> sql.Composable:
    return sql.SQL(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) "
        "THEN CREATE ROLE {role} LOGIN; END IF; END $$"
    ).format(name=sql.Literal(role), role=sql.Identifier(role))


def _withhold_columns(
    role: str, hidden: list[tuple[str, str, str]], schemas: list[str]
) -> list[sql.Composable]:
    """Replace the table-level SELECT on each table of `hidden` (within `schemas`) by column grants.

    The column list is computed by the server when the statement runs (a DO block over pg_attribute),
    so the printed SQL stays right for whatever columns the table has then.
    """
    by_table: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in hidden:
        if schema in schemas:
            by_table.setdefault((schema, table), []).append(column)
    statements: list[sql.Composable] = []
    for (schema, table), columns in sorted(by_table.items()):
        qualified = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        statements.append(sql.SQL("REVOKE SELECT ON {} FROM {}").format(qualified, sql.Identifier(role)))
        statements.append(
            sql.SQL(
                "DO $$ DECLARE readable text; BEGIN "
                "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO readable "
                "FROM pg_attribute WHERE attrelid = {regclass}::regclass AND attnum > 0 "
                "AND NOT attisdropped AND attname <> ALL({hidden}); "
                "EXECUTE format('GRANT SELECT (%s) ON %s TO %I', readable, {regclass}, {role}); END $$"
            ).format(
                regclass=sql.Literal(f'"{schema}"."{table}"'),
                hidden=sql.Literal(sorted(columns)),
                role=sql.Literal(role),
            )
        )
    return statements


def _statements(schema: str, role: str, database: str, *, create: bool) -> list[sql.Composable]:
    r, s, db = sql.Identifier(role), sql.Identifier(schema), sql.Identifier(database)
    statements: list[sql.Composable] = [_create_role(role)] if create else []
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
    # Password hashes: unreadable by every role, also the shared schema's own (which may still write them).
    statements += _withhold_columns(role, password_columns(), [schema, SHARED_SCHEMA])
    return statements


# Whether the read-only role exists, and whether it has READONLY_SETTINGS (as ALTER ROLE stores them).
_READONLY_ROLE_STATE_SQL = """
SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %(role)s),
       EXISTS (SELECT FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                WHERE r.rolname = %(role)s AND s.setdatabase = 0 AND s.setconfig @> %(settings)s::text[])
"""


def readonly_role_state(cursor) -> tuple[bool, bool]:
    """(exists, configured) of the read-only role: what `readonly_sql(create=, role_settings=)` may skip."""
    settings_text = [f"{name}={value}" for name, value in READONLY_ROLE_SETTINGS.items()]
    cursor.execute(_READONLY_ROLE_STATE_SQL, {"role": readonly_role_name(), "settings": settings_text})
    exists, configured = cursor.fetchone()
    return exists, configured


def readonly_sql(
    *,
    schemas: list[str],
    database: str,
    create: bool = True,
    role_settings: bool = True,
    tables: set[tuple[str, str]] | None = None,
) -> list[sql.Composable]:
    """The statements that create (when missing) and grant the read-only role over `schemas`.

    `create` and `role_settings` False leave out what the whole cluster shares (the role, its
    settings), which every database's migrate would otherwise write again (see readonly_role_state).
    `tables`, the (schema, table) pairs that exist, when some of the project's may not yet (after a
    partial `migrate <app>`): a table holding secrets that is not there gets no column grants."""
    role = readonly_role_name()
    r = sql.Identifier(role)
    statements: list[sql.Composable] = [_create_role(role)] if create else []
    if role_settings:
        statements += [
            # Role settings apply at every login; a session may SET them back, which the SQL tool
            # prevents by running each query in its own READ ONLY transaction on a connection it does
            # not reuse.
            sql.SQL("ALTER ROLE {} SET {} = {}").format(r, sql.Identifier(name), sql.Literal(value))
            for name, value in READONLY_ROLE_SETTINGS.items()
        ]
    statements.append(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), r))
    for schema in schemas:
        s = sql.Identifier(schema)
        statements += [
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r),
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(s, r),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(s, r),
        ]
    hidden = [column for column in secret_columns() if tables is None or column[:2] in tables]
    statements += _withhold_columns(role, hidden, schemas)
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


def apply_roles(conn, *, schemas: list[str], readonly_schemas: list[str] | None = None) -> list[str]:
    """Create and grant the roles (and the read-only role over `readonly_schemas`, when given) in one
    transaction; return the role names."""
    database = conn.info.dbname
    statements = roles_sql(schemas=schemas, database=database)
    if readonly_schemas:
        statements += readonly_sql(schemas=readonly_schemas, database=database)
    with conn.transaction():
        for statement in statements:
            conn.execute(statement)
    return [role_name(schema) for schema in schemas] + ([readonly_role_name()] if readonly_schemas else [])
