"""The checks every vault service runs on its arguments before it touches the database.

Each `_clean_*` returns the value as the service stores it, or raises `ValidationError` keyed by the
argument's name; the vector checks hold the rules of an embedding (1536 finite numbers, not all zero).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from pgvector import Vector

from shared import validation as v

from ..embedders import Embedder
from ..models import EMBEDDING_DIMENSIONS, Source

if TYPE_CHECKING:
    import numpy as np

# The unique (source, repository, path) index holds a row of at most ~2,700 bytes: a repository of 255
# characters takes up to 1,020 of them, so a path gets 1,500 bytes (PostgreSQL refuses longer rows
# with "index row size exceeds maximum").
MAX_PATH_BYTES = 1500
MAX_CONTENT_LENGTH = 10_000_000

_SOURCES = frozenset(Source.values)


def _clean_source(source: Any, field: str = "source") -> str:
    if not isinstance(source, str) or source not in _SOURCES:
        return v.choice(source, name=field, choices=Source.values)
    return source


def _clean_repository(repository: Any) -> str:
    return v.text(repository, name="repository", max_length=255, strip=False)


def _clean_path(path: Any) -> str:
    return v.text(path, name="path", max_bytes=MAX_PATH_BYTES, strip=False)


def _clean_content(content: Any) -> str:
    return v.text(content, name="content", max_length=MAX_CONTENT_LENGTH, blank=True, strip=False)


def _clean_metadata(metadata: Any) -> dict:
    _metadata_json(metadata)
    return {} if metadata is None else metadata


def _metadata_json(metadata: Any) -> str:
    """`metadata` (a dict, or None for {}) as JSON text, or a ValidationError naming what is wrong."""
    if metadata is None:
        return "{}"
    return v.json_text(metadata, name="metadata", types=(dict,))


def _clean_sha(sha: Any) -> str | None:
    if sha is None:
        return None
    return v.text(sha, name="sha", max_length=255, strip=False)


def _clean_model(model: Any) -> str:
    return v.text(model, name="model", max_length=255, strip=False)


def _clean_vector(value: Any, field: str = "embedding") -> np.ndarray:
    """A 1536-d, finite, non-zero float32 vector, or a ValidationError naming what is wrong."""
    import numpy as np  # on first use (vault.embedders says why)

    array = _vector_array(value, field)
    problem = _vector_problem(array[np.newaxis], field)
    if problem:
        raise ValidationError({field: problem[1]})
    return array


def _vector_array(value: Any, field: str = "embedding") -> np.ndarray:
    """`value` as a 1536-d float32 array (its values not yet checked), or a ValidationError."""
    import numpy as np  # on first use (vault.embedders says why)

    if isinstance(value, np.ndarray) and value.dtype == np.float32 and value.shape == (EMBEDDING_DIMENSIONS,):
        return value  # the common case of a bulk import, without a copy
    if isinstance(value, Vector):
        value = value.to_numpy()
    if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
        raise ValidationError({field: f"{field} must be a sequence of {EMBEDDING_DIMENSIONS} numbers."})
    try:
        with np.errstate(over="ignore"):  # values beyond float32 become inf, refused by the value check
            array = np.asarray(value)
            # Numbers only: booleans, strings and objects are not coordinates.
            if array.dtype.kind not in "fiu":
                raise TypeError(array.dtype)
            array = array.astype(np.float32)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: f"{field} must contain only numbers."}) from None
    if array.ndim != 1 or array.shape[0] != EMBEDDING_DIMENSIONS:
        actual = array.shape[0] if array.ndim == 1 else "x".join(map(str, array.shape))
        raise ValidationError({field: f"{field} has {actual} dimensions; expected {EMBEDDING_DIMENSIONS}."})
    return array


def _vector_problem(matrix: np.ndarray, field: str = "embedding") -> tuple[int, str] | None:
    """The first row of `matrix` (one vector a row) that is non-finite or zero, with what is wrong."""
    import numpy as np  # on first use (vault.embedders says why)

    finite = np.isfinite(matrix).all(axis=1)
    bad = np.flatnonzero(~(finite & matrix.any(axis=1)))
    if not bad.size:
        return None
    row = int(bad[0])
    if not finite[row]:
        return row, f"{field} contains non-finite values (NaN or infinity)."
    return row, f"{field} is the zero vector, which has no cosine similarity."


def _clean_int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            {field: f"{field} must be an integer from {low} to {high}, not {v.shown(value)}."}
        )
    return value


def _clean_threshold(threshold: Any) -> float:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or not -1 <= threshold <= 1
    ):
        raise ValidationError(
            {"threshold": f"threshold must be a number from -1 to 1, not {v.shown(threshold)}."}
        )
    return float(threshold)


def _clean_optional_repository(repository: Any) -> str | None:
    return None if repository is None else _clean_repository(repository)


def _clean_optional_source(source: Any) -> str | None:
    return None if source is None else _clean_source(source)


def _vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(map(repr, vector.tolist())) + "]"


def _clean_embedder(embedder: Any) -> Embedder | None:
    if embedder is not None and not (
        callable(getattr(embedder, "embed", None)) and hasattr(embedder, "model")
    ):
        raise v.invalid("embedder", "embedder must have an embed(texts) method and a model name.")
    return embedder


def _clean_progress(progress: Any) -> Callable[[int], None] | None:
    message = "progress must be a callable taking the number of rows done, or None."
    if progress is None:
        return None
    if not callable(progress):
        raise v.invalid("progress", message)
    # Refused now, not as a TypeError after the first batch is written.
    try:
        inspect.signature(progress).bind(0)
    except TypeError:
        raise v.invalid("progress", message) from None
    except ValueError:  # no signature to read (some builtins): taken on trust
        pass
    return progress
