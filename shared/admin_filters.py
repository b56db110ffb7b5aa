"""A list filter of a plain column's values that stays fast on big tables.

Django's `AllValuesFieldListFilter` lists the filter's choices with `SELECT DISTINCT column` over the
whole table on every changelist load: on a million rows that is a full scan. On a big table this filter
takes the column's most common values from PostgreSQL's statistics (`pg_stats`) instead; on a small
one it behaves like Django's.
"""

from __future__ import annotations

from django.contrib.admin.filters import AllValuesFieldListFilter
from django.db import connections
from django.db.backends.utils import split_identifier

from .paginator import COUNT_TIMEOUT_MS, EXACT_COUNT_BELOW, table_row_estimate, within_timeout


def most_common_values(model, column: str, *, using: str = "default") -> list[str] | None:
    """The column's most common values from the last ANALYZE, or None if there are no statistics."""
    schema, table = split_identifier(model._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT most_common_vals::text::text[]
            FROM pg_stats
            WHERE schemaname = COALESCE(NULLIF(%s, ''), current_schema()) AND tablename = %s
              AND attname = %s
            """,
            [schema, table, column],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else sorted(row[0])


class EstimatedValuesFieldListFilter(AllValuesFieldListFilter):
    """`AllValuesFieldListFilter` whose choices come from `pg_stats` on a big table."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        if field_path != field.name or not field.concrete:
            return  # a value across a relation: Django's query, on the related (usually small) table
        using = model_admin.get_queryset(request).db
        if hasattr(model_admin, "table_estimate"):
            estimate = model_admin.table_estimate(request)
        else:
            estimate = table_row_estimate(model, using=using)
        if estimate is None or estimate < EXACT_COUNT_BELOW:
            return
        common = most_common_values(model, field.column, using=using)
        if common is None:
            common = self._distinct_within_timeout(using)
        if self.lookup_val and self.lookup_val[-1] not in common:
            common = sorted([*common, self.lookup_val[-1]])
        self.lookup_choices = common

    def _distinct_within_timeout(self, using: str) -> list[str]:
        """No statistics yet: Django's distinct query, if it is quick; else no choices but "All"."""
        values = within_timeout(
            lambda: list(self.lookup_choices[:200]), using=using, timeout_ms=COUNT_TIMEOUT_MS
        )
        return values or []
