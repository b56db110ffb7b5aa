"""flow.execution_logs becomes partitioned by month.

Range partitions by month on timestamp, built by tekupdb.db.partitions.partition_existing_table inside
this migration's transaction: the table is locked, a partitioned table is created beside it with a
partition for every month that has rows (plus this month and three ahead) and a DEFAULT partition, every
row is copied and counted (a different count rolls the migration back), the old table is dropped and the
new one takes its name, owner, grants (table and column grants, copied to every partition too: a role
reading a partition directly needs them; ALTER DEFAULT PRIVILEGES only covers tables made by the role
that ran db_roles), indexes (same names), constraints and triggers.

Primary key: PostgreSQL requires a partitioned table's primary key and unique constraints to contain the
partition column, so the database's primary key becomes (id, timestamp). Django's model keeps `id` as its
primary key (the state does not change: SeparateDatabaseAndState): ids stay unique because they are
random uuids (gen_random_uuid() / uuid4), never reused, and every lookup by id still uses the index.
Foreign keys: this table's own foreign keys (execution_logs → executions, ON DELETE CASCADE) are
re-created on the partitioned table (PostgreSQL supports them there). No foreign key points at this table
(the swap refuses if one does: such a key would need the partition column too).

Triggers: the history tables carry no django-pgtrigger trigger (shared.audit.EXEMPT_TABLES: they are
logs themselves); any trigger found is re-created on the new table, and `manage.py pgtrigger ls` shows
every trigger INSTALLED afterwards. Writers that named the old key: the Prisma import's ON CONFLICT now
takes the primary key's columns from the catalog.

Backwards: one plain table again with every row and the primary key (id).
"""

from django.db import migrations

import tekupdb.db.operations


class Migration(migrations.Migration):
    dependencies = [
        ("flow", "0005_foreign_key_on_delete_actions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                tekupdb.db.operations.PartitionByMonth(table="flow.execution_logs", column="timestamp")
            ]
        ),
    ]
