"""The migrations that partition the history tables keep every row, grant, index and constraint.

Each test migrates its app back to before the partitioning migration (inside the test's transaction:
PostgreSQL's DDL rolls back with it), writes rows over several months, migrates forward and compares
every row, as JSON, with what was there before; then back again.
"""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billy.factories import (
    OrganizationFactory,
    OrganizationUserFactory,
    ToolAuditLogFactory,
    UsageMetricFactory,
)
from flow.factories import ExecutionFactory, ExecutionLogFactory
from shared.models import AuditLog

MONTHS = [
    datetime(2024, 1, 15, 12, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, tzinfo=UTC),
    datetime(2025, 7, 1, tzinfo=UTC),
]
GRANTEE = "tekup_partition_test_reader"


def migrate(app: str, name: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([(app, name)])


def rows(table: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_jsonb(t) FROM {table} t ORDER BY t.id")
        return [row[0] for row in cursor.fetchall()]


def relkind(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


def catalog(table: str) -> dict:
    """Index names, constraint names and definitions, the grants of the table and of its partitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass", [table]
        )
        indexes = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
            [table],
        )
        constraints = dict(cursor.fetchall())
        cursor.execute(
            "SELECT c.oid::regclass::text, has_table_privilege(%s, c.oid, 'SELECT') "
            "FROM pg_class c WHERE c.oid = %s::regclass "
            "OR c.oid IN (SELECT relid FROM pg_partition_tree(%s::regclass))",
            [GRANTEE, table, table],
        )
        grants = dict(cursor.fetchall())
    return {"indexes": indexes, "constraints": constraints, "grants": grants}


def partition_names(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [table]
        )
        return sorted(row[0] for row in cursor.fetchall())


@pytest.fixture
def reader(db):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {GRANTEE}")
    return GRANTEE


def grant(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT ON {table} TO {GRANTEE}")


CASES = {
    "billy": ("billy", "0005_foreign_key_on_delete_actions", "0006_partition_history_by_month"),
    "shared": ("shared", "0004_foreign_key_on_delete_actions", "0005_partition_audit_logs_by_month"),
    "flow": ("flow", "0005_foreign_key_on_delete_actions", "0006_partition_execution_logs_by_month"),
}


def fill_billy() -> None:
    organization = OrganizationFactory()
    user = OrganizationUserFactory(organization=organization)
    for n, moment in enumerate(MONTHS):
        UsageMetricFactory(organization=organization, date=moment.date(), hour=moment.hour, tool_name=f"t{n}")
        ToolAuditLogFactory(organization=organization, user=user, created_at=moment)


def fill_shared() -> None:
    for n, moment in enumerate(MONTHS):
        AuditLog.objects.create(action="event", resource_type="test", resource_id=str(n), created_at=moment)


def fill_flow() -> None:
    execution = ExecutionFactory()
    for moment in MONTHS:
        ExecutionLogFactory(execution=execution, timestamp=moment)


@pytest.mark.parametrize(
    ("case", "fill", "tables"),
    [
        ("billy", fill_billy, ['"billy"."usage_metrics"', '"billy"."audit_logs"']),
        ("shared", fill_shared, ['"shared"."audit_logs"']),
        ("flow", fill_flow, ['"flow"."execution_logs"']),
    ],
)
def test_the_migration_keeps_every_row_grant_index_and_constraint(reader, case, fill, tables):
    app, before, partitioning = CASES[case]
    migrate(app, before)
    for table in tables:
        assert relkind(table) == "r"
        grant(table)
    fill()
    expected = {table: rows(table) for table in tables}
    plain = {table: catalog(table) for table in tables}
    assert all(len(expected[table]) >= len(MONTHS) for table in tables)

    migrate(app, partitioning)

    for table in tables:
        assert relkind(table) == "p"
        assert rows(table) == expected[table]
        name = table.split(".")[1].strip('"')
        schema = table.split(".")[0].strip('"')
        partitions = partition_names(table)
        for month in (date(2024, 1, 1), date(2024, 2, 1), date(2025, 7, 1)):
            assert f"{schema}.{name}_p{month:%Y_%m}" in partitions
        assert f"{schema}.{name}_default" in partitions
        partitioned = catalog(table)
        # Every index and constraint name is back; the primary key holds the partition column too.
        assert set(plain[table]["indexes"]) == set(partitioned["indexes"])
        assert set(partitioned["constraints"]) == set(plain[table]["constraints"])
        pkey = next(
            name for name, text in partitioned["constraints"].items() if text.startswith("PRIMARY KEY")
        )
        assert partitioned["constraints"][pkey].startswith("PRIMARY KEY (id, ")
        # The grant is on the table and on every partition.
        assert partitioned["grants"] and all(partitioned["grants"].values())
        # The rows sit in their months' partitions, none in the default.
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{name}_default"')
            assert cursor.fetchone()[0] == 0

    migrate(app, before)
    for table in tables:
        assert relkind(table) == "r"
        assert rows(table) == expected[table]
        assert catalog(table)["constraints"] == plain[table]["constraints"]
        assert catalog(table)["grants"] == plain[table]["grants"]
    migrate(app, partitioning)
