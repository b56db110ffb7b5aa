"""A directory that one worker of a parallel run builds and every worker reuses."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import fasteners


def run_directory(tmp_path_factory) -> Path:
    """The run's own directory, which every worker sees: above each worker's under xdist, the base
    itself in a run without workers (whose parent, /tmp/pytest-of-<user>, outlives the run: a wheel
    built there was reused by the next run, missing the files added since)."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@contextlib.contextmanager
def built_once(tmp_path_factory, name: str):
    """A directory of the run's (`run_directory`) that the first worker of a parallel run
    (pytest-xdist) fills and the others reuse, as xdist's documentation shows for session fixtures:
    yields (directory, whether to build it)."""
    root = run_directory(tmp_path_factory)
    directory = root / name
    with fasteners.InterProcessLock(str(root / f"{name}.lock")):
        ready = directory / ".ready"
        if not ready.exists():
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()
            yield directory, True
            ready.touch()
        else:
            yield directory, False
