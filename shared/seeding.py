"""What every app's demo module (`<app>/demo.py`) builds on: the seeded context, stable ids, the COPY
loader for large sizes, and the small row helpers that three seeders used to copy.

`operations.seeding` (the `seed` command) orders the apps and calls each one's `seed(ctx)`; an app's demo
data never imports another app's demo module (a link to another app's rows goes through ids).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import factory.random
from django.db import connection, transaction
from django.db.backends.utils import split_identifier
from django.utils import timezone
from psycopg import sql
from psycopg.types.json import Jsonb

from shared.audit import summarised_audit

NAMESPACE = uuid.UUID("6f1d3c52-7a4b-5e0f-9a61-2b8c4d7e9f10")
BATCH = 10_000


@dataclass
class SeedContext:
    app: str
    size: str
    random_seed: int
    progress: Callable[[str, int, int], None] | None = None
    # The moment the demo data is laid out around: history before it, bookings and schedules after it.
    # It defaults to the current hour, so the dashboard's "last 24 hours" and "today" are full on the
    # day of seeding; the same seed and the same `now` give the same rows.
    now: dt.datetime | None = None
    inserted: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)  # rows sent, for progress

    def __post_init__(self):
        self.now = anchor(self.now)
        self.rng = random.Random(f"{self.random_seed}:{self.app}")
        from faker import Faker

        self.faker = Faker("da_DK")
        self.faker.seed_instance(f"{self.random_seed}:{self.app}")
        # The factories' own Faker values (`built`): the same seed gives the same rows.
        factory.random.reseed_random(f"{self.random_seed}:{self.app}")

    @property
    def today(self) -> dt.datetime:
        """Midnight UTC of the seed's day."""
        return self.now.replace(hour=0, minute=0, second=0, microsecond=0)

    def pick(self, small: int, medium: int, large: int) -> int:
        return {"small": small, "medium": medium, "large": large}[self.size]

    def moment(self, *, days_back: float = 365) -> dt.datetime:
        """A deterministic time within `days_back` days before the seed's `now`."""
        return self.now - dt.timedelta(seconds=int(self.rng.random() * days_back * 86400))


def anchor(now: dt.datetime | None) -> dt.datetime:
    """The seed's `now` in UTC, whole hours (the current hour when not given): usage rows are hourly."""
    if now is None:
        now = timezone.now()
    if now.tzinfo is None:
        raise ValueError(f"The seed's moment must carry a time zone: {now.isoformat()}.")
    return now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def stable_id(*parts) -> uuid.UUID:
    """The id of a seeded row: uuid5 of its natural key, so a second run collides instead of duplicating."""
    return uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts))


def built(factory_class, /, **values) -> dict:
    """One demo row made by the app's factory: `factory_class.build(**values)`, as the field dict that
    `load` copies. The factory fills in what the demo leaves out, by its own declarations (an encrypted
    key, a derived amount, a status from the model's enum); what the model's Python defaults would add
    (created_at = now) is left out, for `load` to stamp from the seed, so the same seed gives the same
    rows. A related row may be given by id (`organization_id=...`): the factory then builds no parent.

    About 0.3 ms a row (factory_boy resolving its declarations): for the rows people look at. The
    large sizes' bulk history (a million usage rows) goes to `load` as plain dicts, by the same rules.
    """
    model = factory_class._meta.model
    declared = set(factory_class._meta.declarations) - set(factory_class._meta.exclude)
    for column in model._meta.concrete_fields:
        if column.is_relation and column.attname in values and column.name in declared - set(values):
            values[column.name] = None  # given by id: the SubFactory must not build another parent
    instance = factory_class.build(**values)
    wanted = declared | set(values)
    return {
        column.name: getattr(instance, column.attname)
        for column in model._meta.concrete_fields
        if not column.generated and (column.name in wanted or column.attname in wanted)
    }


def table_of(model) -> tuple[str, str]:
    schema, table = split_identifier(model._meta.db_table)
    return schema or "public", table


def _adapt(field_obj, value):
    if value is None:
        return None
    internal = field_obj.get_internal_type()
    if internal == "JSONField":
        return Jsonb(value)
    if field_obj.__class__.__name__ in {"VectorField", "HalfVectorField"}:
        return "[" + ",".join(f"{float(x):.6g}" for x in value) + "]"
    if isinstance(value, float) and internal == "DecimalField":
        return Decimal(str(value))
    return value


def load(ctx: SeedContext, model, rows: Iterable[dict], *, total: int | None = None) -> int:
    """COPY rows (dicts of field name -> value) into `model`'s table, skipping rows that already exist.

    Rows stream into a temporary table in batches and move over with INSERT ... ON CONFLICT DO NOTHING,
    each batch in its own transaction; returns the number of rows actually inserted.
    """
    schema, table = table_of(model)
    label = f"{schema}.{table}"
    iterator = iter(rows)
    inserted = 0
    done = ctx.loaded.get(label, 0)
    fields = None
    columns_given: set | None = None
    stamped = False
    while True:
        batch = []
        for row in iterator:
            batch.append(row)
            if len(batch) >= BATCH:
                break
        if not batch:
            break
        if columns_given is None:
            columns_given = set(batch[0])
        # The columns are the first row's: a row with another set would lose a value or fail half-way.
        for number, row in enumerate(batch, start=done + 1):
            if row.keys() != columns_given:
                raise ValueError(
                    f"{label}: row {number} has the columns {sorted(row)}, the first row "
                    f"{sorted(columns_given)}; every row given to one load must have the same."
                )
        if fields is None:
            stamped = {f.name for f in model._meta.concrete_fields} >= {"created_at", "updated_at"}
            stamped = stamped and "created_at" not in batch[0]
            fields = [model._meta.get_field(name) for name in batch[0]]
            if stamped:
                fields += [model._meta.get_field("created_at"), model._meta.get_field("updated_at")]
        if stamped:
            # Not now(): the same seed must give the same rows.
            for row in batch:
                row["created_at"] = row["updated_at"] = ctx.moment(days_back=365)
        columns = [f.column for f in fields]
        ident_cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        target = sql.Identifier(schema, table)
        # One audit entry per statement, not per seeded row (shared.audit.summarised_audit).
        with summarised_audit("seed"), connection.cursor() as cursor:
            pg_cursor = cursor.cursor
            # Dropped by hand too: inside an outer transaction (tests) ON COMMIT comes too late.
            pg_cursor.execute("DROP TABLE IF EXISTS pg_temp.seed_stage")
            pg_cursor.execute(
                sql.SQL("CREATE TEMP TABLE seed_stage (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
                    target
                )
            )
            with pg_cursor.copy(sql.SQL("COPY seed_stage ({}) FROM STDIN").format(ident_cols)) as copy:
                for row in batch:
                    copy.write_row([_adapt(f, row[f.name]) for f in fields])
            pg_cursor.execute(
                sql.SQL("INSERT INTO {} ({}) SELECT {} FROM seed_stage ON CONFLICT DO NOTHING").format(
                    target, ident_cols, ident_cols
                )
            )
            inserted += max(pg_cursor.rowcount, 0)
            pg_cursor.execute("DROP TABLE seed_stage")
        done += len(batch)
        ctx.loaded[label] = done
        if ctx.progress:
            ctx.progress(label, done, total or done)
    ctx.inserted[label] = ctx.inserted.get(label, 0) + inserted
    return inserted


def truncate_app(ctx: SeedContext) -> None:
    """Empty every table of the app (its M2M tables too) in one statement."""
    from django.apps import apps

    tables = [table_of(m) for m in apps.get_app_config(ctx.app).get_models(include_auto_created=True)]
    if not tables:
        return
    statement = sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(s, t) for s, t in tables))
    with transaction.atomic(), connection.cursor() as cursor:
        # TRUNCATE refuses tables with deferred foreign-key checks still pending in this transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement.as_string(cursor.cursor))
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextlib.contextmanager
def indexes_built_after(model, *, method: str = "hnsw", enabled: bool = True):
    """Drop `model`'s indexes of an access method while loading, and build them again afterwards.

    Building an HNSW index once over 100,000 vectors is several times faster than inserting each
    vector into it. The indexes are rebuilt from their own definitions even if loading fails.
    """
    if not enabled:
        yield
        return
    schema, table = table_of(model)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
            WHERE i.indrelid = to_regclass(%s) AND am.amname = %s
            """,
            [f'"{schema}"."{table}"', method],
        )
        definitions = cursor.fetchall()
        for name, _ in definitions:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, definition in definitions:
                cursor.execute(definition)


# --- row helpers -------------------------------------------------------------------------------------


def weighted_choice(ctx: SeedContext, choices: dict):
    """One key of `choices`, drawn with the values as weights from the seed's random generator."""
    return ctx.rng.choices(list(choices), weights=list(choices.values()))[0]


def stamped(row: dict, at: dt.datetime) -> dict:
    """`row` created and last updated at `at`."""
    row["created_at"] = row["updated_at"] = at
    return row


def without_private_keys(rows):
    """The rows without their private keys (`_…`, kept for building related rows)."""
    for row in rows:
        yield {key: value for key, value in row.items() if not key.startswith("_")}


def slug(text: str) -> str:
    """`text` as an ASCII e-mail local part or domain label ("Søren Ærø" → "soeren.aeroe")."""
    ascii_text = (
        text.lower()
        .replace("æ", "ae")
        .replace("ø", "oe")
        .replace("å", "aa")
        .replace(" ", ".")
        .replace("-", ".")
    )
    ascii_text = unicodedata.normalize("NFKD", ascii_text).encode("ascii", "ignore").decode()
    ascii_text = "".join(ch for ch in ascii_text if ch.isalnum() or ch == ".")
    # "Dr. Daniel" would give "dr..daniel": EmailValidator refuses empty labels in the local part.
    return ".".join(part for part in ascii_text.split(".") if part)
