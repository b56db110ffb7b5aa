"""Month arithmetic and the names and bounds of monthly partitions: no database, no Django."""

from __future__ import annotations

from datetime import UTC, date, datetime

DEFAULT_SUFFIX = "_default"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def month_start(value: date | datetime) -> date:
    """The first day of the (UTC) month of `value`."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date() if value.tzinfo else value.date()
    return value.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month start from first's month through last's month."""
    month, end, months = month_start(first), month_start(last), []
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def bound_literal(month: date, column_type: str) -> str:
    if column_type == "date":
        return f"'{month.isoformat()}'"
    return f"'{month.isoformat()} 00:00:00+00'"


def split_table(table: str) -> tuple[str, str]:
    """'schema.table' (or '"schema"."table"') as (schema, table)."""
    schema, _, name = table.replace('"', "").partition(".")
    if not name:
        raise ValueError(f"A partitioned table is named schema.table, got {table!r}.")
    return schema, name


def _month_of(column: str, column_type: str) -> str:
    """SQL for the first day of the UTC month of `column` (quoted), a date or a timestamptz."""
    if column_type == "date":
        return f"date_trunc('month', {column})::date"
    return f"date_trunc('month', {column} AT TIME ZONE 'UTC')::date"
