"""A paginator for big tables: it never counts a whole table.

Django's admin counts the changelist's queryset with `COUNT(*)` on every page load; on a table of
millions of rows that one query costs more than the rest of the page. This paginator counts:
- an unfiltered queryset of a big table: the planner's estimate from `pg_class` (scaled to the table's
  current size, as the planner itself does), shown as "about N";
- a filtered queryset of a big table: exactly, under a short `statement_timeout` inside a savepoint;
  if that is too slow, a count capped at a few pages, shown as "many";
- any queryset of a small table: exactly, as Django does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.paginator import Paginator
from django.db import OperationalError, connections, transaction
from django.db.models import QuerySet
from django.utils.functional import cached_property

QUERY_CANCELED = "57014"
T = TypeVar("T")

# Below this many (estimated) rows an exact count is cheap enough to always run.
EXACT_COUNT_BELOW = 10_000
# How long an exact count may take before the paginator gives up on it.
COUNT_TIMEOUT_MS = 200
# When the exact count times out, count this many pages' worth of rows at most.
PAGES_COUNTED_WHEN_SLOW = 20


def table_row_estimate(model, *, using: str = "default") -> int | None:
    """The planner's row estimate for a model's table, or None if PostgreSQL has none.

    `reltuples` is the count at the last VACUUM/ANALYZE; like the planner, scale it by the table's
    current number of pages so that a bulk load since then shows. Before the first ANALYZE (of a
    table, or of one partition), fall back on the statistics collector's live-row count.
    """
    table = connections[using].ops.quote_name(model._meta.db_table)
    # A partitioned table (the history tables: tekupdb.db.partitions) stores nothing itself (its
    # reltuples is -1 or 0): the estimate is the sum over its partitions, each scaled like a table.
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT sum(CASE
                         WHEN c.reltuples < 0 THEN s.n_live_tup
                         WHEN c.relpages = 0 THEN c.reltuples
                         ELSE c.reltuples / c.relpages
                              * (pg_relation_size(c.oid) / current_setting('block_size')::int)
                       END)
            FROM pg_class c
            LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
            WHERE (c.oid = to_regclass(%s) AND c.relkind <> 'p')
               OR c.oid IN (SELECT relid FROM pg_partition_tree(to_regclass(%s)) WHERE isleaf)
            """,
            [table, table],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    estimate = row[0]
    # round, not truncate: reltuples / relpages * pages is computed in floating point, and 120 rows
    # on 11 pages give 119.99999999999999 (a table with dead rows: every write is audited).
    return None if estimate is None else int(round(estimate))


def is_timeout(exc: BaseException) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == QUERY_CANCELED


def within_timeout(work: Callable[[], T], *, using: str, timeout_ms: int) -> T | None:
    """`work()` if its queries finish within `timeout_ms` each, else None.

    The timeout is set with `set_config(..., is_local => true)` inside a savepoint: cancelled work
    rolls the savepoint (and the setting) back; finished work restores the previous value, so an
    enclosing transaction keeps its own timeout.
    """
    try:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout')")
            previous = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{int(timeout_ms)}ms"])
            result = work()
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
            return result
    except OperationalError as exc:
        if is_timeout(exc):
            return None
        raise


def count_within(queryset: QuerySet, *, timeout_ms: int) -> int | None:
    """`queryset.count()` if it finishes within `timeout_ms`, else None."""
    return within_timeout(queryset.count, using=queryset.db, timeout_ms=timeout_ms)


class EstimatedCountPaginator(Paginator):
    """Paginator whose `count` never runs `COUNT(*)` over a whole big table.

    After `count` is read, `count_is_estimate` says it came from the planner's statistics and
    `count_is_lower_bound` that counting was cut short (there are at least that many: "many").
    """

    exact_count_below = EXACT_COUNT_BELOW
    count_timeout_ms = COUNT_TIMEOUT_MS
    # The ModelAdmin may pass the table's estimate it already looked up for this request.
    known_table_estimate: int | None = None

    count_is_estimate = False
    count_is_lower_bound = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        estimate = self.known_table_estimate
        if estimate is None:
            estimate = table_row_estimate(queryset.model, using=queryset.db)
        if estimate is not None and estimate < self.exact_count_below:
            return queryset.count()  # a small table: counting it, however filtered, is cheap
        if estimate is not None and is_unfiltered(queryset):
            self.count_is_estimate = True
            return estimate
        exact = count_within(queryset, timeout_ms=self.count_timeout_ms)
        if exact is not None:
            return exact
        self.count_is_lower_bound = True
        cap = self.per_page * PAGES_COUNTED_WHEN_SLOW + 1
        capped = count_within(queryset[:cap], timeout_ms=self.count_timeout_ms)
        # Even a capped count was too slow: claim one page more than the first, so "next" shows.
        return capped if capped is not None else self.per_page + 1

    @property
    def count_label(self) -> str:
        """How the changelist shows the count: "1,234", "about 1,000,000" or "many"."""
        if self.count_is_lower_bound:
            return "many"
        if self.count_is_estimate:
            return f"about {self.count:,}"
        return f"{self.count:,}"


def is_unfiltered(queryset: QuerySet) -> bool:
    """True if the queryset selects every row of its model's table (so the table estimate holds)."""
    query = queryset.query
    return (
        not query.where
        and not query.distinct
        and query.combinator is None
        and query.group_by is None
        and not query.extra
        and query.low_mark == 0
        and query.high_mark is None
    )
