"""Assertions that the database itself refused a write, naming the constraint that refused it, and a check
of the deferred foreign keys a test's transaction would otherwise never reach.

Checking the name, not only `IntegrityError`, keeps a test from passing because some other rule (a NOT
NULL column the test forgot, say) happened to refuse the write.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction


def constraint_of(error: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL reported for `error` (None for a NOT NULL column)."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


@contextmanager
def refused_by(constraint: str) -> Iterator[pytest.ExceptionInfo[IntegrityError]]:
    """Assert that the block's write is refused by the database constraint `constraint`.

    The block runs in a savepoint that the refusal rolls back, so the test's transaction goes on.
    """
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield caught
    refused = constraint_of(caught.value)
    assert refused == constraint, f"refused by {refused!r}, not {constraint!r}: {caught.value}"


def refused_sql(constraint: str, sql: str, params: Sequence[Any] = ()) -> None:
    """Assert that plain SQL (what other services send) is refused by the constraint `constraint`."""
    with refused_by(constraint), connection.cursor() as cursor:
        cursor.execute(sql, params)


def check_deferred_foreign_keys() -> None:
    """Check now the foreign keys that Django defers to a commit a test never reaches: a dangling
    reference written in the test's transaction raises here. They are deferred again afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
