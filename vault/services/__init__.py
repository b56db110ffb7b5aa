"""Public API of the vault: documents, their embeddings, semantic search and the sync status of sources.

Sibling apps, the admin and the commands call these functions instead of writing SQL. Every function is
keyword-only and typed, validates before it writes (bad input raises `ValidationError` naming what is
wrong, and nothing is written), and writes in a transaction. Upserts are single `INSERT ... ON CONFLICT`
statements, so concurrent writers of the same key end with one row and no error.

Import from here (`from vault.services import semantic_search`); the code lives in a module per concern:

- `validation`: the argument checks (`_clean_*`) and the rules of an embedding vector;
- `documents`: `find_documents`, `create_document`, `upsert_document`, `content_hash`;
- `embeddings`: `create_embedding`, `count_documents_needing_embedding`, `embed_documents`;
- `search`: `semantic_search` (its plan per call: exact scan or HNSW, see the module) and `search_text`;
- `bulk`: `bulk_upsert_documents`, by arrays and binary COPY;
- `sync`: `get_sync_status`, `update_sync_status`, `request_resync`;
- `tables`: the quoted table names their SQL uses.
"""

from __future__ import annotations

# Names callers used from vault.services before it became a package: they keep working.
from ..embedders import Embedder as Embedder
from ..embedders import get_embedder as get_embedder
from .bulk import BulkUpsertCounts, bulk_upsert_documents
from .documents import MAX_FIND_LIMIT as MAX_FIND_LIMIT
from .documents import content_hash, create_document, find_documents, upsert_document
from .embeddings import count_documents_needing_embedding, create_embedding, embed_documents
from .search import FILTER_EF_MARGIN as FILTER_EF_MARGIN
from .search import HNSW_DEFAULT_MAX_SCAN_TUPLES as HNSW_DEFAULT_MAX_SCAN_TUPLES
from .search import HNSW_MAX_EF_SEARCH as HNSW_MAX_EF_SEARCH
from .search import ITERATIVE_SCAN_VERSION as ITERATIVE_SCAN_VERSION
from .search import MAX_QUERY_LENGTH as MAX_QUERY_LENGTH
from .search import MAX_SEARCH_LIMIT as MAX_SEARCH_LIMIT
from .search import SearchResult, search_text, semantic_search
from .search import _pgvector_versions as _pgvector_versions
from .sync import get_sync_status, request_resync, update_sync_status
from .validation import MAX_CONTENT_LENGTH as MAX_CONTENT_LENGTH
from .validation import MAX_PATH_BYTES as MAX_PATH_BYTES

__all__ = [
    "BulkUpsertCounts",
    "SearchResult",
    "bulk_upsert_documents",
    "content_hash",
    "count_documents_needing_embedding",
    "create_document",
    "create_embedding",
    "embed_documents",
    "find_documents",
    "get_sync_status",
    "request_resync",
    "search_text",
    "semantic_search",
    "update_sync_status",
    "upsert_document",
]
