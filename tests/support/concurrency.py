"""Threads that race on the real database, each on its own connection.

Django's connections are per thread: a worker thread opens its own, so two workers are two PostgreSQL
sessions, and locks, constraints and isolation behave as between two processes. Each worker closes its
connections when it ends; a leftover session would keep the test database from being dropped. Tests
that use these need `transaction=True`: the rows a test makes must be committed for the workers to see
them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, connections

TIMEOUT = 60.0


class Worker(threading.Thread):
    """Runs `target` in a thread on its own database connection; keeps its result or its exception."""

    def __init__(self, target: Callable[[], Any]):
        super().__init__(daemon=True)
        self.target = target
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.target()
        except BaseException as error:  # handed to the test by outcome()
            self.error = error
        finally:
            connections.close_all()

    def outcome(self, timeout: float = TIMEOUT) -> Any:
        """The target's return value once it has finished; its exception is raised here."""
        self.join(timeout)
        assert not self.is_alive(), f"worker did not finish within {timeout} s"
        if self.error is not None:
            raise self.error
        return self.result


def run_together(
    targets: Sequence[Callable[[], Any]], *, return_exceptions: bool = False, timeout: float = TIMEOUT
) -> list[Any]:
    """Run every target in its own thread, released at the same instant by a barrier; their results in order.

    An exception in a target is raised here (the first one, after every thread has finished), or with
    `return_exceptions=True` returned in that target's place, for races where some callers must lose.
    """
    barrier = threading.Barrier(len(targets))

    def released(target: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            barrier.wait(timeout=timeout)
            return target()

        return run

    workers = [Worker(released(target)) for target in targets]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
    assert not any(worker.is_alive() for worker in workers), f"workers did not finish within {timeout} s"
    if return_exceptions:
        return [worker.error if worker.error is not None else worker.result for worker in workers]
    return [worker.outcome() for worker in workers]


def wait_for_lock_waiters(count: int = 1, timeout: float = 20.0) -> None:
    """Wait until `count` other sessions of the test database wait on a lock (fails after `timeout`).

    A choreographed race starts its second caller, waits here until that caller is seen queuing on the
    first one's lock, and only then lets the first commit or roll back: the interleaving surely happened.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.01)  # polling interval, not a wait for the outcome
    raise AssertionError(f"no {count} session(s) waiting on a lock within {timeout} s")
