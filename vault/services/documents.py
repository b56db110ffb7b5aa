"""Documents: find, create and upsert one, and the content hash the database keeps of each."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from tekupdb.db.replica import reads_from_replica

from ..models import Document
from .tables import _DOCUMENTS
from .validation import (
    _clean_content,
    _clean_int,
    _clean_metadata,
    _clean_optional_repository,
    _clean_optional_source,
    _clean_path,
    _clean_repository,
    _clean_sha,
    _clean_source,
)

MAX_FIND_LIMIT = 10000


def content_hash(*, content: str) -> str:
    """The hash the database generates for a document's content (`md5(content)`).

    Raises ValidationError keyed by "content": not text, or text PostgreSQL cannot hold.
    """
    return _content_hash(_clean_content(content))


def _content_hash(content: str) -> str:
    return hashlib.md5(content.encode("utf-8"), usedforsecurity=False).hexdigest()


@reads_from_replica()
def find_documents(
    *, source: str | None = None, repository: str | None = None, limit: int = 100
) -> list[Document]:
    """Documents of a source and/or repository, most recently updated first.

    Raises ValidationError keyed by the argument: an unknown source, a repository that is not text of
    at most 255 characters, a limit outside 1..10000.
    """
    source = _clean_optional_source(source)
    repository = _clean_optional_repository(repository)
    limit = _clean_int(limit, "limit", 1, MAX_FIND_LIMIT)
    return list(
        Document.objects.for_source(source).for_repository(repository).order_by("-updated_at")[:limit]
    )


def create_document(
    *,
    source: str,
    repository: str,
    path: str,
    content: str,
    metadata: dict | None = None,
    sha: str | None = None,
) -> Document:
    """Create a document; a document with the same (source, repository, path) is an error.

    Raises ValidationError keyed by the argument: an unknown source; text with NUL, lone surrogates or
    beyond its column (a path over 1,500 bytes); metadata that is not a JSON object; a taken path.
    """
    document = Document(
        source=_clean_source(source),
        repository=_clean_repository(repository),
        path=_clean_path(path),
        content=_clean_content(content),
        metadata=_clean_metadata(metadata),
        sha=_clean_sha(sha),
    )
    try:
        with transaction.atomic():
            document.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(
            {"path": f"A document {source}:{repository}/{path} already exists; use upsert_document."}
        ) from None
    return document


def upsert_document(
    *,
    source: str,
    repository: str,
    path: str,
    content: str,
    metadata: dict | None = None,
    sha: str | None = None,
) -> tuple[Document, str]:
    """Create or update the document at (source, repository, path); return it and "created",
    "updated" or "unchanged". An unchanged document is not written, so its embedding stays fresh; new
    content changes the document's content_hash, which makes its embedding stale.

    Raises ValidationError keyed by the argument, as create_document (except for a taken path)."""
    source = _clean_source(source)
    repository = _clean_repository(repository)
    path = _clean_path(path)
    content = _clean_content(content)
    metadata = _clean_metadata(metadata)
    sha = _clean_sha(sha)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_DOCUMENTS} AS d (id, created_at, updated_at, source, repository, path, content,
                                           metadata, sha)
            VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (source, repository, path) DO UPDATE
               SET content = EXCLUDED.content, metadata = EXCLUDED.metadata, sha = EXCLUDED.sha,
                   updated_at = EXCLUDED.updated_at
             WHERE (d.content, d.metadata, d.sha)
                   IS DISTINCT FROM (EXCLUDED.content, EXCLUDED.metadata, EXCLUDED.sha)
            RETURNING d.id, d.xmax = 0
            """,
            [now, now, source, repository, path, content, Jsonb(metadata), sha],  # type: ignore[list-item]
        )
        row = cursor.fetchone()
        if row is None:  # the WHERE kept the existing row as it is
            document = Document.objects.get(source=source, repository=repository, path=path)
            return document, "unchanged"
        document = Document.objects.get(pk=row[0])
    return document, "created" if row[1] else "updated"
