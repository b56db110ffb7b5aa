import logging

import numpy as np
import pytest
from django.db import connection

from vault.embedders import OfflineEmbedder
from vault.models import EMBEDDING_DIMENSIONS
from vault.services import bulk_upsert_documents


def unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def clustered_vectors(count: int, *, clusters: int = 4, spread: float = 0.3, seed: int = 0) -> np.ndarray:
    """`count` unit vectors around `clusters` random centres (seeded)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, EMBEDDING_DIMENSIONS))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = rng.standard_normal((count, EMBEDDING_DIMENSIONS)) * spread / np.sqrt(EMBEDDING_DIMENSIONS)
    vectors = centres[np.arange(count) % clusters] + noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int, mask=None) -> list[int]:
    """Indexes of the k rows nearest to `query` by cosine distance, computed in numpy."""
    similarity = (vectors @ unit(query)) / np.linalg.norm(vectors, axis=1)
    if mask is not None:
        similarity = np.where(mask, similarity, -np.inf)
    order = np.argsort(-similarity, kind="stable")
    return [int(i) for i in order[:k] if np.isfinite(similarity[i])]


# --- searches over loaded vectors (test_search, test_search_plans) ---


def load(vectors, repositories=None, source="github"):
    """One document per vector, path = its index; returns nothing, rows are found by path."""
    rows = (
        {
            "source": source,
            "repository": repositories[i] if repositories is not None else "tekup/main",
            "path": str(i),
            "content": f"document {i}",
            "embedding": vector,
        }
        for i, vector in enumerate(vectors)
    )
    bulk_upsert_documents(rows=rows, batch_size=500)


def indexes(results):
    return [int(result.document.path) for result in results]


def near(vectors, index, seed=1):
    """A query close to row `index`, but not equal to it."""
    noise = np.random.default_rng(seed).standard_normal(vectors.shape[1]) * 0.002
    return unit(vectors[index] + noise)


@pytest.fixture
def plans(caplog):
    """The plans semantic_search chose, as it logs them."""
    caplog.set_level(logging.DEBUG, logger="vault.services")
    return lambda: [
        r.getMessage().removeprefix("semantic_search: ") for r in caplog.records if r.name == "vault.services"
    ]


def ef_search() -> str:
    """The session's hnsw.ef_search."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW hnsw.ef_search")
        return cursor.fetchone()[0]


class CountingEmbedder(OfflineEmbedder):
    """The offline embedder, recording each call's batch."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def embed(self, texts):
        self.calls.append(list(texts))
        return super().embed(texts)


@pytest.fixture
def embedder():
    return CountingEmbedder()


@pytest.fixture(autouse=True)
def offline_embedder_settings(settings):
    settings.VAULT_EMBEDDER = "offline"
    settings.VAULT_SEARCH_EXACT_MAX_ROWS = 2000
    settings.VAULT_SEARCH_EF_SEARCH = 100
