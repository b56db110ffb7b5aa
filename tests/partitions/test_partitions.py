"""Monthly partitions: made ahead, rows moved out of the DEFAULT partition, old months dropped whole
by the prune commands (which record themselves in the audit), counted by the admin's paginator."""

import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from billy.factories import OrganizationFactory, ToolAuditLogFactory, UsageMetricFactory
from billy.models import ToolAuditLog, UsageMetric
from billy.services import prune_history, prune_tool_audit
from flow.factories import ExecutionFactory, ExecutionLogFactory
from flow.models import ExecutionLog
from flow.services import prune_execution_logs
from shared.models import AuditLog
from shared.paginator import table_row_estimate
from shared.services import prune_audit
from tekupdb.db import partitions
from tests.support.concurrency import Worker, run_together, wait_for_lock_waiters


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def partition_of(table: str, row_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [row_id])
        return cursor.fetchone()[0]


def exists(relation: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [relation])
        return cursor.fetchone()[0]


def test_a_row_of_a_month_without_partition_lands_in_default_and_moves_when_its_partition_is_made(db):
    organization = OrganizationFactory()
    row = UsageMetricFactory(organization=organization, date=date(2019, 5, 10), hour=3)
    assert partition_of('"billy"."usage_metrics"', row.id) == "billy.usage_metrics_default"

    created = partitions.ensure_partitions(table="billy.usage_metrics", months=[date(2019, 5, 31)])

    assert created == ["usage_metrics_p2019_05"]
    assert partition_of('"billy"."usage_metrics"', row.id) == "billy.usage_metrics_p2019_05"
    assert UsageMetric.objects.get(pk=row.pk).hour == 3
    assert partitions.ensure_partitions(table="billy.usage_metrics", months=[date(2019, 5, 1)]) == []


def test_a_partition_made_later_has_the_grants_of_its_table(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE tekup_partition_grant_test")
        cursor.execute('GRANT SELECT ON "flow"."execution_logs" TO tekup_partition_grant_test')
    partitions.ensure_partitions(table="flow.execution_logs", months=[date(2018, 1, 1)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege('tekup_partition_grant_test', "
            "'\"flow\".\"execution_logs_p2018_01\"', 'SELECT')"
        )
        assert cursor.fetchone()[0] is True


def test_the_command_makes_the_months_ahead_settles_the_default_and_is_idempotent(db, clock):
    clock.now = datetime(2040, 1, 20, tzinfo=UTC)
    log = AuditLog.objects.create(action="event", resource_type="t", resource_id="1", created_at=clock.now)
    assert partition_of('"shared"."audit_logs"', log.id) == "shared.audit_logs_default"

    first = run("partitions", "--ahead", "2")

    for month in ("2040_01", "2040_02", "2040_03"):
        assert f"audit_logs_p{month}" in first and f"usage_metrics_p{month}" in first
        assert exists(f'"flow"."execution_logs_p{month}"')
    assert "16 partitions created" not in first and "12 partitions created, 2 months ahead." in first
    assert partition_of('"shared"."audit_logs"', log.id) == "shared.audit_logs_p2040_01"
    second = run("partitions", "--ahead", "2")
    assert "0 partitions created" in second and "shared.audit_logs: up to date" in second


@pytest.mark.parametrize("ahead", ["-1", "121"])
def test_the_command_refuses_a_bad_ahead(db, ahead):
    with pytest.raises(CommandError, match="--ahead must be a whole number of months from 0 to 120"):
        run("partitions", f"--ahead={ahead}")


def drop_committed_partitions(of_month) -> None:
    """Drop the monthly partitions, of every partitioned table, whose month satisfies `of_month`: what a
    transactional test committed (the flush after it empties tables, it does not drop them)."""
    with connection.cursor() as cursor:
        for table in partitions.partitioned_tables():
            for partition in partitions.partitions(table):
                if partition.month and of_month(partition.month):
                    cursor.execute(f'DROP TABLE "{table.schema}"."{partition.name}"')


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_make_each_partition_once():
    """Two processes' worth of `partitions --ahead` at once (threads, each its own connection): both
    finish, and every partition is made exactly once."""
    today = date(2045, 3, 1)

    def work():
        return partitions.create_ahead(ahead=4, today=today, schemas=["billy", "flow", "shared"])

    try:
        results = run_together([work, work])
        for table in ("billy.usage_metrics", "billy.audit_logs", "shared.audit_logs", "flow.execution_logs"):
            made = results[0][table] + results[1][table]
            assert sorted(made) == sorted(
                partitions.partition_name(table.split(".")[1], partitions.add_months(today, n))
                for n in range(5)
            )
    finally:
        drop_committed_partitions(lambda month: month >= today)


def usage_months(organization, *days: date) -> list:
    return [UsageMetricFactory(organization=organization, date=day, hour=12) for day in days]


def test_prune_drops_whole_months_and_deletes_only_the_boundary_month_row_by_row(db, clock):
    clock.now = datetime(2025, 6, 14, 10, 0, tzinfo=UTC)
    partitions.ensure_partitions(
        table="billy.usage_metrics", months=partitions.months_between(date(2025, 1, 1), date(2025, 6, 1))
    )
    organization = OrganizationFactory()
    old = usage_months(organization, date(2025, 1, 5), date(2025, 2, 5), date(2025, 2, 6))
    boundary_old = usage_months(organization, date(2025, 3, 1))
    kept = usage_months(organization, date(2025, 3, 20), date(2025, 6, 14))
    lost_in_default = usage_months(organization, date(2019, 1, 1))  # no partition: in DEFAULT

    assert (
        prune_history(older_than=timedelta(days=100), dry_run=True)["usage_metrics"] == 5
    )  # cutoff 2025-03-06
    assert exists('"billy"."usage_metrics_p2025_01"')

    counts = prune_history(older_than=timedelta(days=100))

    assert counts["usage_metrics"] == 5
    assert not exists('"billy"."usage_metrics_p2025_01"') and not exists('"billy"."usage_metrics_p2025_02"')
    assert exists('"billy"."usage_metrics_p2025_03"') and exists('"billy"."usage_metrics_default"')
    remaining = set(UsageMetric.objects.values_list("id", flat=True))
    assert remaining == {row.id for row in kept}
    assert not remaining & {row.id for row in old + boundary_old + lost_in_default}
    entry = AuditLog.objects.get(action="prune", resource_type="billy.usage_metrics")
    assert entry.metadata["dropped_partitions"] == ["usage_metrics_p2025_01", "usage_metrics_p2025_02"]
    assert entry.metadata["usage_metrics"] == 5 and entry.metadata["rows"] == 5


@pytest.fixture
def months_of_2019():
    """For a test that commits partitions of 2019 (before any month the database has): dropped after."""
    yield partitions.months_between(date(2019, 1, 1), date(2019, 6, 1))
    drop_committed_partitions(lambda month: month.year == 2019)


@pytest.mark.django_db(transaction=True)
def test_the_prune_deletes_the_boundary_rows_before_it_takes_the_tables_lock(clock, months_of_2019):
    """The boundary month's rows are deleted row by row before the detach takes the table's ACCESS
    EXCLUSIVE lock: a prune held up in its DELETE (here by a session that locked a boundary row)
    keeps no writer of the table waiting. The writer has a lock_timeout: waiting would fail it."""
    clock.now = datetime(2019, 6, 14, 10, 0, tzinfo=UTC)
    partitions.ensure_partitions(table="billy.usage_metrics", months=months_of_2019)
    organization = OrganizationFactory()
    usage_months(organization, date(2019, 1, 5))
    (boundary,) = usage_months(organization, date(2019, 3, 1))  # the cutoff is 2019-03-06
    locked, release = threading.Event(), threading.Event()

    def hold_the_boundary_row():
        with transaction.atomic():
            UsageMetric.objects.select_for_update().get(id=boundary.id)
            locked.set()
            release.wait(30)

    def write():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")
            return UsageMetricFactory(organization=organization, date=date(2019, 6, 2), hour=3).id

    holder = Worker(hold_the_boundary_row)
    holder.start()
    try:
        assert locked.wait(30)
        pruner = Worker(lambda: prune_history(older_than=timedelta(days=100)))
        pruner.start()
        wait_for_lock_waiters(1)  # the prune waits for the boundary row
        writer = Worker(write)
        writer.start()
        written = writer.outcome()
    finally:
        release.set()
        holder.outcome()
    assert pruner.outcome()["usage_metrics"] == 2
    assert list(UsageMetric.objects.values_list("id", flat=True)) == [written]
    assert not exists('"billy"."usage_metrics_p2019_01"')


def test_prune_of_the_tool_audit_and_the_command_option(db, clock):
    clock.now = datetime(2025, 6, 14, 10, 0, tzinfo=UTC)
    partitions.ensure_partitions(table="billy.audit_logs", months=[date(2025, 1, 1), date(2025, 4, 1)])
    organization = OrganizationFactory()
    ToolAuditLogFactory(organization=organization, created_at=datetime(2025, 1, 3, tzinfo=UTC))
    ToolAuditLogFactory(organization=organization, created_at=datetime(2025, 4, 3, tzinfo=UTC))
    kept = ToolAuditLogFactory(organization=organization, created_at=datetime(2025, 4, 30, tzinfo=UTC))

    assert prune_tool_audit(older_than=timedelta(days=60), dry_run=True) == 2  # cutoff 2025-04-15
    out = run("billy_prune", "--older-than", "30d", "--tool-audit-older-than", "60d")

    assert "Deleted 0 rate-limit windows and 0 usage rows older than 30d." in out
    assert "Deleted 2 tool audit entries older than 60d." in out
    assert list(ToolAuditLog.objects.values_list("id", flat=True)) == [kept.id]
    with pytest.raises(CommandError, match="--tool-audit-older-than must be a positive number"):
        run("billy_prune", "--tool-audit-older-than", "soon")


def test_flow_prune_drops_old_log_months(db, clock):
    clock.now = datetime(2025, 6, 14, 10, 0, tzinfo=UTC)
    partitions.ensure_partitions(table="flow.execution_logs", months=[date(2025, 1, 1), date(2025, 3, 1)])
    execution = ExecutionFactory()
    ExecutionLogFactory(execution=execution, timestamp=datetime(2025, 1, 2, tzinfo=UTC))
    ExecutionLogFactory(execution=execution, timestamp=datetime(2025, 3, 2, tzinfo=UTC))
    kept = ExecutionLogFactory(execution=execution, timestamp=datetime(2025, 3, 30, tzinfo=UTC))

    assert "Would delete 2 execution log lines older than 80d." in run(
        "flow_prune", "--older-than", "80d", "--dry-run"
    )
    assert "Deleted 2 execution log lines older than 80d." in run("flow_prune", "--older-than", "80d")

    assert list(ExecutionLog.objects.values_list("id", flat=True)) == [kept.id]
    assert not exists('"flow"."execution_logs_p2025_01"')
    assert prune_execution_logs(older_than=timedelta(days=80)) == 0
    assert AuditLog.objects.filter(action="prune", resource_type="flow.execution_logs").count() == 1


def test_audit_prune_keeps_at_least_a_year_and_records_itself(db, clock, staff_user):
    clock.now = datetime(2027, 6, 14, 10, 0, tzinfo=UTC)
    partitions.ensure_partitions(table="shared.audit_logs", months=[date(2025, 1, 1), date(2026, 6, 1)])
    AuditLog.objects.all().delete()
    old = AuditLog.objects.create(
        action="event", resource_type="t", resource_id="1", created_at=datetime(2025, 1, 2, tzinfo=UTC)
    )
    AuditLog.objects.create(
        action="event", resource_type="t", resource_id="2", created_at=datetime(2026, 6, 2, tzinfo=UTC)
    )
    kept = AuditLog.objects.create(
        action="event", resource_type="t", resource_id="3", created_at=datetime(2026, 6, 30, tzinfo=UTC)
    )

    with pytest.raises(CommandError, match="--older-than must be at least 365d: the audit is kept a year"):
        run("audit_prune", "--older-than", "30d")
    with pytest.raises(ValidationError, match="older_than must be a positive timedelta from 365 days"):
        prune_audit(older_than=timedelta(days=364))
    audit = partitions.partitioned_table("shared.audit_logs")
    old_months = [p.name for p in partitions.partitions(audit) if p.month and p.month < date(2026, 6, 1)]
    out = run("audit_prune", "--older-than", "370d", "--as", staff_user.email)  # cutoff 2026-06-09

    assert "Deleted 2 audit entries older than 370d." in out
    remaining = AuditLog.objects.exclude(action="prune").values_list("id", flat=True)
    assert list(remaining) == [kept.id] and old.id not in remaining
    entry = AuditLog.objects.get(action="prune")
    assert (entry.resource_type, entry.actor, entry.metadata["rows"]) == (
        "shared.audit_logs",
        staff_user.email,
        2,
    )
    # The months wholly before the cutoff (2026-06-09): 2025-01, and any month that earlier tests of this
    # database left a partition for (partitions outlive the rows a test rolls back or flushes).
    assert "audit_logs_p2025_01" in entry.metadata["dropped_partitions"]
    assert entry.metadata["dropped_partitions"] == old_months
    assert prune_audit(older_than=timedelta(days=370)) == 0


def test_the_paginator_estimate_sums_the_partitions(db):
    AuditLog.objects.all().delete()
    partitions.ensure_partitions(table="shared.audit_logs", months=[date(2024, 1, 1), date(2024, 2, 1)])
    AuditLog.objects.bulk_create(
        AuditLog(
            action="e",
            resource_type="t",
            resource_id=str(n),
            created_at=datetime(2024, 1 + n % 2, 3, tzinfo=UTC),
        )
        for n in range(40)
    )
    AuditLog.objects.bulk_create(
        AuditLog(action="e", resource_type="t", resource_id="d", created_at=datetime(2010, 1, 1, tzinfo=UTC))
        for _ in range(5)
    )
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "shared"."audit_logs"')

    assert table_row_estimate(AuditLog) == 45


@pytest.mark.django_db(transaction=True)
def test_health_warns_when_next_month_has_no_partition():
    from django.utils import timezone

    from operations.health import run_checks

    next_month = partitions.add_months(partitions.month_start(timezone.now()), 1)
    name = partitions.partition_name("execution_logs", next_month)
    assert run_checks().check("partitions").warning is False
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "flow"."{name}"')
    try:
        check = run_checks().check("partitions")
        assert check.ok and check.warning
        assert "flow.execution_logs" in check.detail and "billy.usage_metrics" not in check.detail
    finally:
        partitions.ensure_partitions(table="flow.execution_logs", months=[next_month])
    assert run_checks().check("partitions").warning is False


def test_the_dashboard_counts_a_partitioned_table_by_its_partitions(db):
    from operations.console.dashboard import table_stats

    AuditLog.objects.all().delete()
    AuditLog.objects.bulk_create(
        AuditLog(
            action="e",
            resource_type="t",
            resource_id=str(n),
            created_at=datetime(2031, 1 + n % 3, 3, tzinfo=UTC),
        )
        for n in range(30)
    )
    stats = {(t.schema, t.table): t for t in table_stats(["shared"])}
    audit = stats[("shared", "audit_logs")]
    assert audit.rows == 30 and audit.size_bytes > 0
    assert not [key for key in stats if key[1].startswith("audit_logs_")]  # partitions are not listed


def test_the_seed_makes_the_partitions_of_its_year_and_leaves_no_row_in_default(db):
    from operations.seeding import run_seed

    run_seed(size="small", apps=["shared", "billy", "flow"], now=datetime(2023, 8, 10, 9, tzinfo=UTC))

    with connection.cursor() as cursor:
        for schema, table in [
            ("billy", "usage_metrics"),
            ("billy", "audit_logs"),
            ("flow", "execution_logs"),
        ]:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            assert cursor.fetchone()[0] > 0, table
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}_default"')
            assert cursor.fetchone()[0] == 0, table
        assert exists('"billy"."usage_metrics_p2023_08"') and exists('"billy"."usage_metrics_p2022_09"')
        cursor.execute(
            'SELECT count(*) FROM "shared"."audit_logs_default" WHERE created_at < %s', ["2024-01-01"]
        )
        assert cursor.fetchone()[0] == 0
