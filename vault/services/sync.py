"""The sync status of each (source, repository): read it, record it, ask for a new sync."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from shared import validation as v

from ..models import SyncState, SyncStatus
from .tables import _SYNC_STATUS
from .validation import _clean_repository, _clean_source


def get_sync_status(*, source: str | None = None, repository: str | None = None) -> QuerySet[SyncStatus]:
    """The sync status rows of a source and/or repository (all of them without filters).

    Raises ValidationError keyed by the argument: an unknown source, a repository that is not text.
    """
    queryset = SyncStatus.objects.order_by("source", "repository")
    if source is not None:
        queryset = queryset.filter(source=_clean_source(source))
    if repository is not None:
        queryset = queryset.filter(repository=_clean_repository(repository))
    return queryset


def update_sync_status(
    *, source: str, repository: str, status: str, error_message: str | None = None
) -> SyncStatus:
    """Record the sync state of (source, repository), creating the row if needed; sets last_sync_at.

    Raises ValidationError keyed by the argument: an unknown source or status, text that PostgreSQL
    cannot hold or beyond its column.
    """
    source = _clean_source(source)
    repository = _clean_repository(repository)
    status = v.choice(status, name="status", choices=SyncState.values)
    error_message = v.optional_text(error_message, name="error_message")
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_SYNC_STATUS} AS s (id, created_at, updated_at, source, repository, status,
                                             last_sync_at, error_message)
            VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (source, repository) DO UPDATE
               SET status = EXCLUDED.status, last_sync_at = EXCLUDED.last_sync_at,
                   error_message = EXCLUDED.error_message, updated_at = EXCLUDED.updated_at
            RETURNING s.id
            """,
            [now, now, source, repository, status, now, error_message],
        )
        (pk,) = cursor.fetchone()
    return SyncStatus.objects.get(pk=pk)


def request_resync(*, sync_statuses: Iterable[SyncStatus]) -> int:
    """Mark sources for a new sync: status back to pending, error cleared, last_sync_at kept.

    Raises ValidationError keyed by "sync_statuses": not a list, tuple or QuerySet of saved SyncStatus rows.
    """
    if isinstance(sync_statuses, str | bytes | Mapping) or not isinstance(sync_statuses, Iterable):
        raise v.invalid("sync_statuses", "sync_statuses must be a list or QuerySet of SyncStatus rows.")
    ids = [v.instance(status, name="sync_statuses", model=SyncStatus).pk for status in sync_statuses]
    with transaction.atomic():
        return SyncStatus.objects.filter(pk__in=ids).update(
            status=SyncState.PENDING, error_message=None, updated_at=timezone.now()
        )
