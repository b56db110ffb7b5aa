"""Test databases: rows that a whole test module reads, built once and rolled back at the module's end;
the template that parallel workers create their test databases from."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import fasteners
import psycopg
from django.conf import settings
from django.db import connections, transaction
from psycopg import sql

from operations import pg

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


class WorkerDatabaseTemplate:
    """The first worker of a parallel run migrates its test database, then copies it as a template; the
    others create theirs from that template (`TEST["TEMPLATE"]`, which Django's PostgreSQL backend
    honours) and their migrate finds nothing to apply: a copy (0.2 s here) and a migrate with nothing
    to do (0.55 s) instead of a migrate from scratch (5 to 7 s of CPU). The workers take turns under a
    lock in the run's own directory; a template left by an earlier run is never used (the marker that
    says it is ready lives in this run's directory)."""

    def __init__(self, run_directory: Path):
        self.name = f"test_{settings.DATABASES['default']['NAME']}_template"
        self._lock = fasteners.InterProcessLock(str(run_directory / "test-database-template.lock"))
        self._ready = run_directory / "test-database-template.ready"
        self.building = False

    def before_setup(self) -> None:
        """Under the lock until after_setup: take the template if this run has one, else build it."""
        self._lock.acquire()
        if self._ready.exists():
            settings.DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = self.name
        else:
            self.building = True

    def after_setup(self) -> None:
        try:
            if self.building:
                source = connections["default"].settings_dict["NAME"]
                _close_connections()  # the template's source must have no session open
                try:
                    with pg.connect(dbname="postgres") as conn:
                        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))
                        conn.execute(
                            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                                sql.Identifier(self.name), sql.Identifier(source)
                            )
                        )
                except psycopg.Error as exc:  # the others migrate their own, as without a template
                    warnings.warn(f"no template for the other workers' test databases: {exc}", stacklevel=1)
                else:
                    self._ready.touch()
        finally:
            self._lock.release()

    def drop(self) -> None:
        """At the builder's end: no later worker clones it (they would build their own)."""
        if not self.building:
            return
        with self._lock:
            self._ready.unlink(missing_ok=True)
            with pg.connect(dbname="postgres") as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))


def _close_connections() -> None:
    """Close this process's connections to its test database, pooled ones too (Django's pool keeps idle
    sessions open)."""
    connections.close_all()
    connection = connections["default"]
    if hasattr(connection, "close_pool"):
        connection.close_pool()
