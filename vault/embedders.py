"""Embeddings from text: one interface, two implementations, chosen in settings (`VAULT_EMBEDDER`).

- `OpenAIEmbedder` posts to any OpenAI-compatible `/embeddings` endpoint (OpenAI, Azure-style proxies,
  a local server), retrying 429, 5xx and network failures with exponential back-off.
- `OfflineEmbedder` hashes words and character trigrams into 1536 signed buckets: deterministic, no
  network, and texts that share words come out similar, so development, demos and tests search sensibly.

Both return L2-normalised 1536-d vectors (lists of floats), one per input text, in input order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import EMBEDDING_DIMENSIONS

# numpy is imported where vectors are computed (here and in vault.services), not at the top: importing it
# costs 70-100 ms, and every process of the project (each `manage.py` command, each web worker) imports
# vault through the admin, most of them to compute no vector.

_logger = logging.getLogger(__name__)

# text-embedding-3-small accepts 8,191 tokens; the original service cut input at 8,000 characters.
MAX_INPUT_CHARS = 8000
OFFLINE_MODEL = "offline-hash-1536"
_RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}
_MAX_BACKOFF_SECONDS = 60.0


class EmbeddingError(RuntimeError):
    """The embedder could not turn the texts into vectors; the message says why."""


class Embedder(Protocol):
    model: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...


def prepare_input(text: str) -> str:
    """What is sent to an embedder: the text cut at MAX_INPUT_CHARS, never empty."""
    text = (text or "")[:MAX_INPUT_CHARS]
    return text if text.strip() else " "


class OfflineEmbedder:
    """Deterministic feature hashing of words and character trigrams (no network, no model files)."""

    model = OFFLINE_MODEL
    dimensions = EMBEDDING_DIMENSIONS
    _word = re.compile(r"\w+", re.UNICODE)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed_one(prepare_input(text)) for text in texts]

    def _embed_one(self, text: str) -> list[float]:
        import numpy as np  # on first use (vault.embedders says why)

        vector = np.zeros(self.dimensions, dtype=np.float64)
        words = self._word.findall(text.lower())
        features = [(f"w:{word}", 1.0) for word in words]
        for word in words:
            padded = f" {word} "
            features.extend((f"t:{padded[i : i + 3]}", 0.5) for i in range(len(padded) - 2))
        if not features:
            features = [("empty", 1.0)]
        for feature, weight in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dimensions
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[bucket] += sign * weight
        norm = np.linalg.norm(vector)
        if norm == 0:  # every feature cancelled out: fall back to one fixed direction
            vector[0], norm = 1.0, 1.0
        return (vector / norm).tolist()


class OpenAIEmbedder:
    """Client of an OpenAI-compatible embeddings API (POST {base_url}/embeddings)."""

    dimensions = EMBEDDING_DIMENSIONS

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not base_url:
            raise ImproperlyConfigured(
                "VAULT_EMBEDDING_BASE_URL is empty: the embeddings API needs a base URL."
            )
        self.url = base_url.rstrip("/") + "/embeddings"
        self.api_key = api_key
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        body = json.dumps({"model": self.model, "input": [prepare_input(t) for t in texts]}).encode()
        payload = self._post_with_retries(body)
        return self._vectors_from(payload, expected=len(texts))

    def _post_with_retries(self, body: bytes) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        attempt = 0
        while True:
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            retry_after = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                detail = _error_detail(exc)
                if exc.code not in _RETRYABLE_STATUS:
                    raise EmbeddingError(
                        f"The embeddings API at {self.url} refused the request: HTTP {exc.code} {detail}"
                    ) from None
                failure = f"HTTP {exc.code} {detail}"
                retry_after = _retry_after_seconds(exc.headers.get("Retry-After"))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                failure = f"network error: {getattr(exc, 'reason', exc)}"
            except json.JSONDecodeError:
                raise EmbeddingError(
                    f"The embeddings API at {self.url} answered with invalid JSON."
                ) from None
            if attempt >= self.max_retries:
                raise EmbeddingError(
                    f"The embeddings API at {self.url} failed after {attempt + 1} attempts; last: {failure}"
                )
            delay = min(_MAX_BACKOFF_SECONDS, self.backoff * (2**attempt))
            if retry_after is not None:
                delay = min(_MAX_BACKOFF_SECONDS, max(delay, retry_after))
            _logger.warning("Embeddings request failed (%s); retry %d in %.2fs", failure, attempt + 1, delay)
            self._sleep(delay)
            attempt += 1

    def _vectors_from(self, payload: dict, *, expected: int) -> list[list[float]]:
        try:
            items = sorted(payload["data"], key=lambda item: item["index"])
            vectors = [item["embedding"] for item in items]
        except (KeyError, TypeError):
            raise EmbeddingError(
                f"The embeddings API at {self.url} answered without 'data' embeddings."
            ) from None
        if len(vectors) != expected:
            raise EmbeddingError(f"The embeddings API returned {len(vectors)} vectors for {expected} texts.")
        for vector in vectors:
            if len(vector) != self.dimensions:
                raise EmbeddingError(
                    f"The embeddings API returned {len(vector)}-d vectors; the vault stores "
                    f"{self.dimensions}-d vectors (model {self.model!r})."
                )
        return vectors


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read().decode("utf-8", "replace")
        message = json.loads(body).get("error", {}).get("message")
        return message or body[:200]
    except Exception:
        return exc.reason or ""


def _retry_after_seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None


def get_embedder() -> Embedder:
    """The embedder the settings choose (`VAULT_EMBEDDER`)."""
    kind = settings.VAULT_EMBEDDER
    if kind == "offline":
        return OfflineEmbedder()
    if kind == "openai":
        if not settings.VAULT_EMBEDDING_API_KEY:
            raise ImproperlyConfigured(
                "VAULT_EMBEDDER is 'openai' but VAULT_EMBEDDING_API_KEY is not set; set it, or set "
                "VAULT_EMBEDDER=offline for development."
            )
        return OpenAIEmbedder(
            base_url=settings.VAULT_EMBEDDING_BASE_URL,
            api_key=settings.VAULT_EMBEDDING_API_KEY,
            model=settings.VAULT_EMBEDDING_MODEL,
            timeout=settings.VAULT_EMBEDDING_TIMEOUT,
            max_retries=settings.VAULT_EMBEDDING_MAX_RETRIES,
            backoff=settings.VAULT_EMBEDDING_BACKOFF,
        )
    raise ImproperlyConfigured(f"VAULT_EMBEDDER is {kind!r}; it must be 'openai' or 'offline'.")
