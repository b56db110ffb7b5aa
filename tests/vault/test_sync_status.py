import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from vault.factories import SyncStatusFactory
from vault.models import SyncStatus
from vault.services import get_sync_status, request_resync, update_sync_status

MOMENT = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)
    return MOMENT


def test_update_sync_status_creates_the_row_and_sets_last_sync_at(db, frozen_now):
    status = update_sync_status(source="github", repository="tekup/a", status="in_progress")

    stored = SyncStatus.objects.get()
    assert stored.pk == status.pk
    assert (stored.status, stored.last_sync_at, stored.error_message) == ("in_progress", frozen_now, None)


def test_update_sync_status_updates_the_same_row(db):
    update_sync_status(source="github", repository="tekup/a", status="in_progress")

    status = update_sync_status(
        source="github", repository="tekup/a", status="error", error_message="HTTP 502"
    )

    assert SyncStatus.objects.count() == 1
    assert (status.status, status.error_message) == ("error", "HTTP 502")
    status = update_sync_status(source="github", repository="tekup/a", status="success")
    assert (status.status, status.error_message) == ("success", None)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"status": "done"}, "'done' is not a status; expected one of pending, in_progress, success"),
        ({"source": "ftp"}, "'ftp' is not a source"),
        ({"repository": ""}, "repository must be a non-empty string"),
        ({"error_message": 3}, "error_message must be a string"),
    ],
)
def test_update_sync_status_refuses_bad_input(db, arguments, message):
    with pytest.raises(ValidationError, match=message):
        update_sync_status(**{"source": "github", "repository": "r", "status": "success", **arguments})
    assert not SyncStatus.objects.exists()


def test_get_sync_status_filters_by_source_and_repository(db):
    a = SyncStatusFactory(source="github", repository="a")
    b = SyncStatusFactory(source="github", repository="b")
    c = SyncStatusFactory(source="render", repository="a")

    assert list(get_sync_status()) == [a, b, c]
    assert list(get_sync_status(source="github")) == [a, b]
    assert list(get_sync_status(repository="a")) == [a, c]
    assert list(get_sync_status(source="render", repository="a")) == [c]


def test_get_sync_status_refuses_an_unknown_source(db):
    with pytest.raises(ValidationError, match="'x' is not a source"):
        get_sync_status(source="x")


def test_a_plain_sql_insert_gets_status_pending(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""INSERT INTO "vault"."sync_status" (source, repository) VALUES ('github', 'r')""")

    assert SyncStatus.objects.get().status == "pending"


def test_request_resync_sets_pending_clears_the_error_and_keeps_last_sync_at(db):
    failed = update_sync_status(source="github", repository="a", status="error", error_message="boom")
    untouched = update_sync_status(source="github", repository="b", status="success")

    assert request_resync(sync_statuses=[failed]) == 1

    failed_after = SyncStatus.objects.get(pk=failed.pk)
    assert (failed_after.status, failed_after.error_message) == ("pending", None)
    assert failed_after.last_sync_at == failed.last_sync_at
    assert SyncStatus.objects.get(pk=untouched.pk).status == "success"
