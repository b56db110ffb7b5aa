"""Monthly range partitions of the history tables (billy.usage_metrics, billy.audit_logs,
shared.audit_logs, flow.execution_logs): making them, creating months ahead, dropping old ones.

Layout of a partitioned table `<schema>.<table>` on column `<column>` (a date or timestamptz):
- one partition per UTC month, `<table>_pYYYY_MM`, FOR VALUES FROM (first of the month) TO (first of
  the next month), timestamptz bounds written with `+00` so that the session's time zone never shifts
  them;
- one DEFAULT partition, `<table>_default`, so that no insert ever fails for want of a partition: the
  Prisma import, the demo seed (a year back), a restore, a test with a frozen clock or a Hypothesis
  example may write any date. Rows that land there are moved into their month's partition by
  `ensure_partitions` (PostgreSQL refuses to create a partition while the default holds rows of its
  range, so the move happens in the same transaction, before the CREATE) and by `settle_default`,
  which `manage.py partitions` runs on every table.

Which tables are partitioned is read from the database (pg_partitioned_table), not from a list: this
package imports no app (tekupdb/db never does), and a table partitioned by a migration is found here
the moment the migration has run.

Every function that creates or drops partitions of a table holds a transaction-level advisory lock
keyed by the table (django-pglock's `advisory`): two `partitions` runs from cron, or a prune and a
`partitions` run, wait for each other instead of racing on CREATE TABLE.

Own code rather than a library: pg_partman (the usual tool) is a server extension that neither the
embedded server nor most managed services have, and the PyPI packages for Django partitioning
(django-postgres-extra's partitioning manager, architect) create tables from models and know nothing
of the schema-qualified tables, the DEFAULT partition move or the grants this project needs.

Import from here (`from tekupdb.db import partitions`, then `partitions.ensure_partitions(...)`); the
code lives in a module per concern:

- `months`: month arithmetic and the names and bounds of partitions (`month_start`, `add_months`,
  `partition_name`, `bound_literal`, `split_table`), no database;
- `catalog`: `PartitionedTable`, `Partition`, `partitioned_tables`, `partitions`, `default_months`,
  read from the catalog, and the per-table advisory lock;
- `creating`: `create_partition`, `ensure_partitions`, `settle_default`, `create_ahead`;
- `dropping`: `drop_partitions_before` and `prune` (`DroppedPartition`, `PruneResult`);
- `conversion`: `partition_existing_table` and `unpartition_table`, which the migrations run.
"""

from __future__ import annotations

from .catalog import (
    Partition,
    PartitionedTable,
    default_months,
    partitioned_table,
    partitioned_tables,
    partitions,
)
from .conversion import partition_existing_table, unpartition_table
from .creating import create_ahead, create_partition, ensure_partitions, settle_default
from .dropping import EXACT_COUNT_BELOW, DroppedPartition, PruneResult, drop_partitions_before, prune
from .months import (
    DEFAULT_SUFFIX,
    add_months,
    bound_literal,
    month_start,
    months_between,
    partition_name,
    split_table,
)

__all__ = [
    "DEFAULT_SUFFIX",
    "EXACT_COUNT_BELOW",
    "DroppedPartition",
    "Partition",
    "PartitionedTable",
    "PruneResult",
    "add_months",
    "bound_literal",
    "create_ahead",
    "create_partition",
    "default_months",
    "drop_partitions_before",
    "ensure_partitions",
    "month_start",
    "months_between",
    "partition_existing_table",
    "partition_name",
    "partitioned_table",
    "partitioned_tables",
    "partitions",
    "prune",
    "settle_default",
    "split_table",
    "unpartition_table",
]
