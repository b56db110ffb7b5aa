"""Bulk import: many documents and their embeddings upserted a batch at a time, by arrays and binary COPY."""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg
from django.core.exceptions import ValidationError
from django.db import connection

from shared import validation as v
from shared.audit import summarised_audit
from tekupdb.db.replica import note_write

from ..models import DEFAULT_EMBEDDING_MODEL, EMBEDDING_DIMENSIONS
from .documents import _content_hash
from .tables import _DOCUMENTS, _EMBEDDINGS
from .validation import (
    _clean_content,
    _clean_int,
    _clean_model,
    _clean_path,
    _clean_progress,
    _clean_repository,
    _clean_sha,
    _clean_source,
    _metadata_json,
    _vector_array,
    _vector_problem,
)

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class BulkUpsertCounts:
    """What `bulk_upsert_documents` did: documents created, updated, unchanged; embeddings written."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    embeddings_written: int = 0

    def __add__(self, other: BulkUpsertCounts) -> BulkUpsertCounts:
        return BulkUpsertCounts(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.embeddings_written + other.embeddings_written,
        )


_BULK_FIELDS = frozenset(("source", "repository", "path", "content", "metadata", "sha", "embedding", "model"))
_BULK_REQUIRED = ("source", "repository", "path", "content")
# A field already in its column type's binary wire format (a vector, a uuid) is copied as "bytea": binary
# COPY carries no type information, so psycopg passes the bytes on unchanged and the server reads them
# with the column type's own receive function (vector_recv checks the dimensions and every value again).
_WIRE = "bytea"
_VECTOR_HEADER = struct.pack(">HH", EMBEDDING_DIMENSIONS, 0)


class _BulkRow(NamedTuple):
    source: str
    repository: str
    path: str
    content: str
    metadata: str  # JSON text
    sha: str | None
    embedding: memoryview | None  # the vector in PostgreSQL's binary format
    model: str


def bulk_upsert_documents(
    *,
    rows: Iterable[Mapping[str, Any]],
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> BulkUpsertCounts:
    """Upsert many documents (each row a mapping of source, repository, path, content and optionally
    metadata, sha, embedding, model), `batch_size` rows at a time.

    Idempotent on (source, repository, path); within one batch the last row of a key wins. A row's
    embedding, when given, is stored as made from that row's content. Everything runs in one
    transaction: a bad row raises `ValidationError` naming it, and nothing is written. `progress` is
    called with the number of rows processed after each batch.

    Per batch: one `INSERT ... ON CONFLICT` of the documents (their fields sent as arrays), which tells
    the documents it created from those it updated; the embeddings of created documents (nothing can
    conflict with them) go straight into their table by binary COPY, any others through a temporary
    table and an upsert that keeps an embedding unchanged when nothing about it changed.

    Raises ValidationError keyed by "rows" (not an iterable of mappings; a row with unknown or missing
    fields or a bad value, named by its index), "batch_size" (outside 1..100000) or "progress" (not
    callable); nothing is written."""
    batch_size = _clean_int(batch_size, "batch_size", 1, 100_000)
    progress = _clean_progress(progress)
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        raise v.invalid("rows", "rows must be an iterable of mappings (one per document).")
    totals = BulkUpsertCounts()
    processed = 0
    iterator = iter(rows)
    # One audit entry per statement of a batch, not one per document (shared.audit.summarised_audit).
    with summarised_audit("vault.bulk_upsert_documents"), connection.cursor():
        note_write()  # COPY and the raw cursor below bypass Django's execute wrappers
        raw = connection.connection  # the psycopg 3 connection under Django's cursor
        # The embeddings of new documents record a content hash made here; it must be the md5 of the
        # bytes the database hashes (always the case with a UTF8 database).
        hashes_here = raw.info.parameter_status("server_encoding") == "UTF8"
        # Server-side binding: the batch's fields travel as parameters, not as SQL text to be parsed.
        with psycopg.Cursor(raw) as cursor:
            while batch := list(itertools.islice(iterator, batch_size)):
                cleaned = _clean_bulk_batch(batch, first_index=processed)
                totals += _write_batch(cursor, cleaned, hashes_here=hashes_here)
                processed += len(batch)
                if progress is not None:
                    progress(processed)
            cursor.execute("DROP TABLE IF EXISTS vault_bulk_vectors")
    return totals


def _clean_bulk_batch(batch: list[Mapping[str, Any]], *, first_index: int) -> list[_BulkRow]:
    """The batch's rows validated, one per key (the last wins), sorted by key; vectors in wire format."""
    import numpy as np  # on first use (vault.embedders says why)

    by_key: dict[tuple[str, str, str], tuple[_BulkRow, int | None]] = {}
    vectors: list[np.ndarray] = []
    vector_offsets: list[int] = []
    failure: tuple[int, ValidationError] | None = None
    for offset, row in enumerate(batch):
        try:
            if not isinstance(row, Mapping):
                raise ValidationError(f"must be a mapping, not {type(row).__name__}.")
            if not _BULK_FIELDS.issuperset(row):
                raise ValidationError(f"unknown fields {', '.join(sorted(set(row) - _BULK_FIELDS))}.")
            missing = [name for name in _BULK_REQUIRED if name not in row]
            if missing:
                raise ValidationError(f"missing {', '.join(missing)}.")
            key = (
                _clean_source(row["source"]),
                _clean_repository(row["repository"]),
                _clean_path(row["path"]),
            )
            cleaned = _BulkRow(
                *key,
                content=_clean_content(row["content"]),
                metadata=_metadata_json(row.get("metadata")),
                sha=_clean_sha(row.get("sha")),
                embedding=None,
                model=_clean_model(row.get("model") or DEFAULT_EMBEDDING_MODEL),
            )
            vector = row.get("embedding")
            if vector is None:
                by_key[key] = (cleaned, None)
            else:
                vectors.append(_vector_array(vector))
                by_key[key] = (cleaned, len(vector_offsets))
                vector_offsets.append(offset)
        except ValidationError as exc:
            failure = (offset, exc)
            break
    wire = memoryview(b"")
    if vectors:
        # Each vector in PostgreSQL's binary format (header, then big-endian floats), written once into
        # one buffer; the rows hold views of it. All the values are checked at once.
        width = len(_VECTOR_HEADER) + 4 * EMBEDDING_DIMENSIONS
        buffer = np.empty((len(vectors), width), dtype=np.uint8)
        buffer[:, : len(_VECTOR_HEADER)] = np.frombuffer(_VECTOR_HEADER, dtype=np.uint8)
        matrix = buffer[:, len(_VECTOR_HEADER) :].view(">f4")
        np.stack(vectors, out=matrix)
        problem = _vector_problem(matrix)
        if problem and (failure is None or vector_offsets[problem[0]] < failure[0]):
            failure = (vector_offsets[problem[0]], ValidationError({"embedding": problem[1]}))
        wire = buffer.reshape(-1).data
    if failure is not None:
        offset, refusal = failure
        raise v.invalid("rows", f"row {first_index + offset}: {'; '.join(refusal.messages)}")
    # Sorted by key, so that concurrent imports lock rows in the same order.
    return [
        row if vector is None else row._replace(embedding=wire[vector * width : (vector + 1) * width])
        for row, vector in (by_key[key] for key in sorted(by_key))
    ]


def _new_ids(count: int) -> list[bytes]:
    """`count` random (version 4) UUIDs, each as its 16 bytes."""
    import numpy as np  # on first use (vault.embedders says why)

    ids = np.frombuffer(bytearray(os.urandom(16 * count)), dtype=np.uint8).reshape(count, 16)
    ids[:, 6] = (ids[:, 6] & 0x0F) | 0x40
    ids[:, 8] = (ids[:, 8] & 0x3F) | 0x80
    data = ids.tobytes()
    return [data[start : start + 16] for start in range(0, len(data), 16)]


def _write_batch(cursor, rows: list[_BulkRow], *, hashes_here: bool) -> BulkUpsertCounts:
    ids = _new_ids(len(rows))
    cursor.execute(
        f"""
        WITH upserted AS (
            INSERT INTO {_DOCUMENTS} AS d (id, source, repository, path, content, metadata, sha)
            SELECT r.id::uuid, r.source, r.repository, r.path, r.content, r.metadata::jsonb, r.sha
              FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],
                          %b::text[]) AS r(id, source, repository, path, content, metadata, sha)
            ON CONFLICT (source, repository, path) DO UPDATE
               SET content = EXCLUDED.content, metadata = EXCLUDED.metadata, sha = EXCLUDED.sha,
                   updated_at = EXCLUDED.updated_at
             WHERE (d.content, d.metadata, d.sha)
                   IS DISTINCT FROM (EXCLUDED.content, EXCLUDED.metadata, EXCLUDED.sha)
            RETURNING d.id, d.xmax = 0 AS created
        )
        SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created),
               -- which documents are new, only when not all of them are
               CASE WHEN count(*) FILTER (WHERE created) < %s THEN array_agg(id) FILTER (WHERE created) END
          FROM upserted
        """,
        [[pk.hex() for pk in ids], *map(list, itertools.islice(zip(*rows, strict=True), 6)), len(rows)],
    )
    created, updated, created_ids = cursor.fetchone()
    if created == len(rows):
        new = [True] * len(rows)
    else:
        created_ids = {pk.bytes for pk in created_ids or ()}
        new = [pk in created_ids for pk in ids]
    with_vector = [
        (pk, row, is_new) for pk, row, is_new in zip(ids, rows, new, strict=True) if row.embedding is not None
    ]
    fresh = [(pk, row) for pk, row, is_new in with_vector if is_new]
    others = [row for _, row, is_new in with_vector if not is_new]
    if not hashes_here:
        others += [row for _, row in fresh]
        fresh = []
    written = 0
    if fresh:
        # Documents created by this statement: nothing else can have an embedding for them yet.
        with cursor.copy(
            f"COPY {_EMBEDDINGS} (document_id, embedding, model, content_hash) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types([_WIRE, _WIRE, "text", "text"])
            for pk, row in fresh:
                copy.write_row((pk, row.embedding, row.model, _content_hash(row.content)))
        written += len(fresh)
    if others:
        written += _upsert_embeddings(cursor, others)
    return BulkUpsertCounts(
        created=created, updated=updated, unchanged=len(rows) - created - updated, embeddings_written=written
    )


def _upsert_embeddings(cursor, rows: list[_BulkRow]) -> int:
    """Upsert the embeddings of existing documents, keeping any that would not change."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS vault_bulk_vectors (source text, repository text, path text, "
        "embedding vector, model text) ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE vault_bulk_vectors")
    with cursor.copy(
        "COPY vault_bulk_vectors (source, repository, path, embedding, model) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["text", "text", "text", _WIRE, "text"])
        for row in rows:
            copy.write_row((row.source, row.repository, row.path, row.embedding, row.model))
    cursor.execute(
        f"""
        INSERT INTO {_EMBEDDINGS} AS e (document_id, embedding, model, content_hash)
        SELECT d.id, r.embedding, r.model, d.content_hash
          FROM vault_bulk_vectors r
         -- one unique-index lookup per row (OFFSET 0 keeps the nested loop): a hash join would read
         -- the whole documents table for every batch
         CROSS JOIN LATERAL (SELECT id, content_hash FROM {_DOCUMENTS} d
                              WHERE (d.source, d.repository, d.path) = (r.source, r.repository, r.path)
                             OFFSET 0) d
         ORDER BY d.id
        ON CONFLICT (document_id) DO UPDATE
           SET embedding = EXCLUDED.embedding, model = EXCLUDED.model,
               content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at
         WHERE (e.embedding, e.model, e.content_hash)
               IS DISTINCT FROM (EXCLUDED.embedding, EXCLUDED.model, EXCLUDED.content_hash)
        """
    )
    return cursor.rowcount
