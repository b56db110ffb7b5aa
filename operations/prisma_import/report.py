"""What an import tells its caller: a report per table, the refused rows, and the error that stops it."""

from __future__ import annotations

from dataclasses import dataclass, field


class PrismaImportError(Exception):
    """The import cannot start or a table cannot be read (the message says which and why)."""


@dataclass
class Refusal:
    table: str
    source_id: str
    reason: str


@dataclass
class TableReport:
    table: str  # here, schema.table
    source_table: str  # there, schema.Table
    source_rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    rounded: int = 0
    error: str | None = None
    unmapped_columns: list[str] = field(default_factory=list)

    @property
    def accounted(self) -> bool:
        return self.error is None and self.imported + self.updated + self.unchanged + self.refused == (
            self.source_rows
        )


@dataclass
class ImportReport:
    dry_run: bool
    tables: list[TableReport] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    unknown_tables: list[tuple[str, int]] = field(default_factory=list)
    email_case_duplicates: list[tuple[str, list[str]]] = field(default_factory=list)
    invoice_counters: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every row of every known table was imported, updated, unchanged or explicitly refused."""
        return all(table.accounted for table in self.tables)

    @property
    def changed(self) -> int:
        return sum(table.imported + table.updated for table in self.tables)
