"""Embeddings: store one for a document, count the documents that need one, and fill them from text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from shared import validation as v

from ..embedders import Embedder, get_embedder
from ..models import DEFAULT_EMBEDDING_MODEL, Document, Embedding
from .documents import _content_hash
from .tables import _DOCUMENTS, _EMBEDDINGS
from .validation import (
    _clean_embedder,
    _clean_int,
    _clean_model,
    _clean_optional_repository,
    _clean_optional_source,
    _clean_progress,
    _clean_vector,
    _vector_literal,
)


def create_embedding(
    *, document: Document, embedding: Any, model: str = DEFAULT_EMBEDDING_MODEL
) -> Embedding:
    """Store (or replace) the embedding of `document`, made from the content the document object holds.

    Raises ValidationError keyed by the argument: a document that is not a saved Document (or is gone),
    an embedding that is not 1536 finite numbers (not all zero), a model name that is not text.
    """
    document = v.instance(document, name="document", model=Document)
    vector = _clean_vector(embedding)
    model = _clean_model(model)
    made_from = _content_hash(document.content)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # INSERT ... SELECT: a document deleted meanwhile gives no row instead of a deferred FK error.
        cursor.execute(
            f"""
            INSERT INTO {_EMBEDDINGS} AS e (id, created_at, updated_at, document_id, embedding, model,
                                            content_hash)
            SELECT gen_random_uuid(), %s, %s, d.id, %s::vector, %s, %s FROM {_DOCUMENTS} d WHERE d.id = %s
            ON CONFLICT (document_id) DO UPDATE
               SET embedding = EXCLUDED.embedding, model = EXCLUDED.model,
                   content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at
            RETURNING e.id, e.created_at, e.updated_at
            """,
            [now, now, _vector_literal(vector), model, made_from, document.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValidationError({"document": f"document {document.pk} does not exist (any more)."})
    return Embedding(
        id=row[0],
        created_at=row[1],
        updated_at=row[2],
        document=document,
        embedding=vector.tolist(),
        model=model,
        content_hash=made_from,
    )


def count_documents_needing_embedding(*, source: str | None = None, repository: str | None = None) -> int:
    """How many documents have no embedding or a stale one.

    Raises ValidationError keyed by the argument: an unknown source, a repository that is not text.
    """
    source = _clean_optional_source(source)
    repository = _clean_optional_repository(repository)
    return Document.objects.for_source(source).for_repository(repository).needing_embedding().count()


def embed_documents(
    *,
    source: str | None = None,
    repository: str | None = None,
    embedder: Embedder | None = None,
    batch_size: int | None = None,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Fill missing or stale embeddings, `batch_size` texts per embedder call; return how many were
    written. Each batch is written in its own transaction, so an interrupted run keeps its progress.

    Raises ValidationError keyed by the argument: an unknown source, a bad repository, a batch size
    outside 1..2048, a limit outside 1..10^9, an embedder without `embed`/`model`, a progress that is
    not callable; vault.embedders.EmbeddingError when the embedder fails."""
    embedder = _clean_embedder(embedder)
    progress = _clean_progress(progress)
    source = _clean_optional_source(source)
    repository = _clean_optional_repository(repository)
    batch_size = _clean_int(batch_size or settings.VAULT_EMBEDDING_BATCH_SIZE, "batch_size", 1, 2048)
    if limit is not None:
        limit = _clean_int(limit, "limit", 1, 10**9)
    embedder = embedder or get_embedder()
    pending = (
        Document.objects.for_source(source)
        .for_repository(repository)
        .needing_embedding()
        .order_by("id")
        .only("id", "content")
    )
    done, last_id = 0, None
    while limit is None or done < limit:
        page = pending if last_id is None else pending.filter(id__gt=last_id)
        size = batch_size if limit is None else min(batch_size, limit - done)
        documents = list(page[:size])
        if not documents:
            break
        vectors = embedder.embed([document.content for document in documents])
        with transaction.atomic():
            for document, vector in zip(documents, vectors, strict=True):
                create_embedding(document=document, embedding=vector, model=embedder.model)
        done += len(documents)
        last_id = documents[-1].id
        if progress is not None:
            progress(done)
    return done
