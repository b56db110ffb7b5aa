"""The quoted names of the vault's tables, for the raw SQL of the service modules."""

from __future__ import annotations

from django.db import connection

from ..models import Document, Embedding, SyncStatus

_DOCUMENTS = connection.ops.quote_name(Document._meta.db_table)
_EMBEDDINGS = connection.ops.quote_name(Embedding._meta.db_table)
_SYNC_STATUS = connection.ops.quote_name(SyncStatus._meta.db_table)
