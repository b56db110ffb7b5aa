"""Rows that a whole test module reads, built once and rolled back at the module's end."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import transaction

T = TypeVar("T")


@contextlib.contextmanager
def built_for_the_module(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """Yield what `build()` made inside a transaction that stays open for the module and is rolled back at
    its end. Each test's own transaction (pytest-django's `db` fixture) nests inside it as a savepoint, so
    a test still sees exactly the module's rows plus its own, and no test's writes reach the next one.

    For a module-scoped fixture, over rows that take seconds to build (an HNSW index over 1,200 vectors,
    a row of every model) and that the module's tests only read. Not for `transactional_db` tests: their
    flush would need this transaction's locks."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
