"""`updated_at` kept true for every writer, not only the ORM.

The ORM sets `updated_at` itself (auto_now); the non-Django services that update rows with plain SQL do
not. A BEFORE UPDATE trigger on each table with an `updated_at` column sets it to now() when the
statement left it unchanged, so plain SQL gets a fresh time while the ORM's value (and a test's moved
clock) is kept. Installed after every migrate (and flush), idempotently, by one catalog query and
DDL only for what is missing.
"""

FUNCTION = "tekup_touch_updated_at"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION public.{FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$
"""


def trigger_name(table: str) -> str:
    return f"{table}_touch_updated_at"[:63]


def ensure_updated_at_triggers(connection, db_tables) -> list[str]:
    """Install the trigger on each of `db_tables` (model table names) that lacks it; return those."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.oid::regclass::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE t.tgname LIKE %s AND NOT t.tgisinternal
            """,
            ["%_touch_updated_at"],
        )
        existing = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT t, to_regclass(t)::text FROM unnest(%s::text[]) AS t",
            [[quote(table) for table in db_tables]],
        )
        resolved = dict(cursor.fetchall())
        missing = [
            table
            for table in db_tables
            if resolved.get(quote(table)) is not None and resolved[quote(table)] not in existing
        ]
        if missing:
            cursor.execute(CREATE_FUNCTION)
        for table in missing:
            bare = table.rsplit('"."', 1)[-1]
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {quote(trigger_name(bare))} BEFORE UPDATE ON {quote(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION public.{FUNCTION}()"
            )
    return missing
