"""Shared by the vault benchmarks: Django set-up on a private database, and the seeded synthetic set.

The benchmarks run in their own database (`bench_vault` on the same server, created and migrated like a
test database, dropped at the end), so they never touch development data and may drop and rebuild the
HNSW index. The vectors are clustered 1536-d unit vectors, generated chunk by chunk from a seed, so any
row can be regenerated without holding 100,000 x 6 KB in memory.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DIMENSIONS = 1536
# Like text embeddings, which vary along few directions locally: 100 topics, each a centre plus a spread
# along 16 directions of its own, plus a little noise in every direction (cosine to the centre ~0.9).
CLUSTERS = 100
LOCAL_DIMENSIONS = 16
SPREAD = 0.1
NOISE = 0.003
CHUNK = 5000


def setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tekupdb.settings")
    import django

    django.setup()
    import logging

    logging.getLogger("py.warnings").setLevel(logging.ERROR)


@contextlib.contextmanager
def bench_database(name: str = "bench_vault", *, keep: bool = False):
    """Create and migrate a private database, use it, then drop it (unless `keep`: then reuse it)."""
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=keep)
    try:
        yield connection
    finally:
        if not keep:
            # Django's pool keeps connections to the bench database open: DROP DATABASE would refuse.
            connection.close_pool()
            connection.creation.destroy_test_db(original, verbosity=0)


def _topics(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Topic centres (CLUSTERS, DIMENSIONS) and each topic's basis of LOCAL_DIMENSIONS directions."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIMENSIONS)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    bases = rng.standard_normal((CLUSTERS, LOCAL_DIMENSIONS, DIMENSIONS)).astype(np.float32)
    bases /= np.linalg.norm(bases, axis=2, keepdims=True)
    return centres, bases


def _points(topic: np.ndarray, rng: np.random.Generator, centres, bases) -> np.ndarray:
    spread = rng.standard_normal((len(topic), LOCAL_DIMENSIONS)).astype(np.float32) * SPREAD
    vectors = centres[topic] + np.einsum("nk,nkd->nd", spread, bases[topic])
    vectors += rng.standard_normal(vectors.shape).astype(np.float32) * NOISE
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def vector_chunks(count: int, seed: int = 42, chunk: int = CHUNK):
    """(first index, float32 array of unit vectors) chunks; row i belongs to topic i % CLUSTERS."""
    centres, bases = _topics(seed)
    for start in range(0, count, chunk):
        rng = np.random.default_rng([seed, start])
        index = np.arange(start, min(count, start + chunk))
        yield start, _points(index % CLUSTERS, rng, centres, bases)


def queries(count: int, seed: int = 42) -> np.ndarray:
    """Fresh points of the same topics (not rows of the set)."""
    rng = np.random.default_rng([seed, 10**9])
    centres, bases = _topics(seed)
    return _points(rng.integers(0, CLUSTERS, count), rng, centres, bases)


def repository_of(index: int, repositories: int = 100) -> str:
    """Row i's repository: 100 repositories of 1 % each, each holding rows of every cluster."""
    return f"repo-{(index // CLUSTERS) % repositories:02d}"


def timings(values_ms: list[float]) -> dict:
    ordered = sorted(values_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(p95, 3),
        "qps": round(1000 / statistics.mean(ordered), 1),
    }


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.ms = self.seconds * 1000
