"""Import every row of the Prisma-built database (the TypeScript project's) into this project's database.

`python manage.py import_prisma --source URL` is a thin shell over `import_prisma()` here. The package
knows every schema app (it maps their tables), so it lives in the operations app, not in a schema app.

How a table moves:
1. The plan (`plan_table`) matches each column of the Django model to a column of the source table
   (snake_case here, camelCase in crm and flow) and writes the conversion as SQL run *on the source*:
   `double precision` → `round(x::numeric, scale)` (half up: numeric rounding, from the double's
   shortest text form, so 2.675 becomes 2.68), `timestamp without time zone` read as UTC, casts to the
   staging types. Text ids (cuid) become `uuid5(NAMESPACE_URL, "prisma:<schema>.<source table>:<id>")`
   in Python (PostgreSQL has no uuid5 without the uuid-ossp extension); billy API keys and flow secret
   values are encrypted in Python with shared.crypto.
2. Rows stream with COPY: tables that need no Python are passed through in binary block by block (the
   embeddings among them: no vector is parsed), the others in text format through the mapping.
3. Into an empty table the rows are COPYed directly (a savepoint guards it). Otherwise, or when that
   fails, they go to a temporary staging table and from there into the table with one
   `INSERT … ON CONFLICT (primary key) DO UPDATE … WHERE (row) IS DISTINCT FROM (new row)`: new rows count as
   imported, changed ones as updated, the rest as unchanged. A batch that breaks a constraint is split
   in halves under savepoints until the single rows that break it are found; those are refused with
   their source id and the database's reason, the others load.
Everything runs in one transaction on the target, with foreign keys checked at once (`SET CONSTRAINTS
ALL IMMEDIATE`) so that a row whose parent is missing is refused, not the whole import at commit; a
dry run rolls that transaction back. The source is read in one `REPEATABLE READ, READ ONLY`
transaction: one consistent snapshot, and nothing can be written there.

Import from here (`from operations.prisma_import import import_prisma`); the code lives in a module per
concern:

- `mapping`: the plan of a table (`plan_table`, `known_models`), the source's table and column names,
  `migrated_id`;
- `hooks`: the transforms that need Python (secrets encrypted on their way in, `Refused`);
- `source`: reading the source: `connect_source`, its catalog, its rows as COPY streams;
- `direct`: COPY straight into an empty table, vector indexes built after the load;
- `staging`: the staging table, the batched upsert, the halving that finds refused rows and their reasons;
- `run`: `import_prisma`, table after table, and the invoice counters;
- `report`: `ImportReport`, `TableReport`, `Refusal`, `PrismaImportError`.
"""

from __future__ import annotations

from .direct import INDEX_BUILD_MEMORY
from .hooks import EXTRA_SOURCE, ROW_HOOKS, SECRET_COLUMNS, ImportContext, Refused
from .mapping import (
    DERIVED_TABLES,
    SCHEMAS,
    SOURCE_COLUMNS,
    SOURCE_TABLES,
    SPECIAL_COLUMNS,
    UNUSABLE_PASSWORD_SQL,
    Column,
    TablePlan,
    known_models,
    migrated_id,
    plan_table,
    source_table_of,
)
from .report import ImportReport, PrismaImportError, Refusal, TableReport
from .run import INVOICE_NUMBER, ProgressFactory, import_prisma, table_load_context
from .source import connect_source

__all__ = [
    "DERIVED_TABLES",
    "EXTRA_SOURCE",
    "INDEX_BUILD_MEMORY",
    "INVOICE_NUMBER",
    "ROW_HOOKS",
    "SCHEMAS",
    "SECRET_COLUMNS",
    "SOURCE_COLUMNS",
    "SOURCE_TABLES",
    "SPECIAL_COLUMNS",
    "UNUSABLE_PASSWORD_SQL",
    "Column",
    "ImportContext",
    "ImportReport",
    "PrismaImportError",
    "ProgressFactory",
    "Refusal",
    "Refused",
    "TablePlan",
    "TableReport",
    "connect_source",
    "import_prisma",
    "known_models",
    "migrated_id",
    "plan_table",
    "source_table_of",
    "table_load_context",
]
