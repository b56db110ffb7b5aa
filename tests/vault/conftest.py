import numpy as np
import pytest

from vault.embedders import OfflineEmbedder
from vault.models import EMBEDDING_DIMENSIONS


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
