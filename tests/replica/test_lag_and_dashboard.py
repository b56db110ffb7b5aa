"""The replica's health check (reachable, replay lag, the limit) and the dashboard's figure, against the
real streaming replica of tests/replica/conftest.py."""

import time

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from operations.health import replica_check
from tekupdb.db.replica import REPLICA_ALIAS
from vault.factories import DocumentFactory

from .conftest import elsewhere

# slow: the folder's fixture starts a streaming replica (tests/replica/conftest.py).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA_ALIAS]),
]


def poll(condition, *, timeout: float = 30.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)  # polling interval, not a wait for an outcome


def replay_age(server) -> float:
    (age,) = server.execute(
        "SELECT EXTRACT(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8"
    )[0]
    return age


def test_an_idle_caught_up_replica_has_no_lag_however_old_its_last_replay(replica_alias, settings):
    settings.TEKUPDB_REPLICA_MAX_LAG_SECONDS = 0.5
    elsewhere(DocumentFactory)
    replica_alias.wait_for_replay()
    # Nothing new to replay, so the last replayed transaction grows older than the limit...
    poll(lambda: replay_age(replica_alias) > 0.5, what="the last replay is older than the limit")

    check = replica_check()

    # ...and the replica is still caught up: it has replayed what it received (other databases of the
    # cluster may still be sending WAL: tests run in parallel), so the old replay is no lag.
    assert check.ok, check.detail
    assert check.value < 0.5 and check.detail.startswith("replay lag 0.")


def test_wal_without_commits_is_no_lag_once_replayed_and_a_stalled_replay_is(replica_alias):
    from operations.health import _CATCH_UP_WINDOW, _replay_lag

    replica_alias.wait_for_replay()
    replica_alias.pause_replay()
    try:
        # WAL that commits nothing (as vacuum, checkpoints or hint bits write): the replay timestamp
        # cannot move, whatever the replica does with it.
        with psycopg.connect(replica_alias.primary_uri, autocommit=True) as conn:
            (sent,) = conn.execute(
                "SELECT pg_logical_emit_message(false, 'tekup', 'no commit')::text"
            ).fetchone()
        poll(
            lambda: replica_alias.execute("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", [sent])[0][0],
            what="the replica has received the message",
        )
        (received,) = replica_alias.execute("SELECT pg_last_wal_receive_lsn()::text")[0]
        with psycopg.connect(replica_alias.uri(), autocommit=True) as conn:
            # Stalled: what it received is not replayed within the window, so the last replay's age counts.
            assert _replay_lag(conn, received, 100.0) == 100.0
            replica_alias.resume_replay()
            # Replaying: it reaches what it had received, so its lag is the time that took.
            assert _replay_lag(conn, received, 100.0) < _CATCH_UP_WINDOW
    finally:
        replica_alias.resume_replay()


def test_a_replica_that_falls_behind_fails_the_check_above_the_limit(replica_alias, settings):
    settings.TEKUPDB_REPLICA_MAX_LAG_SECONDS = 0.5
    elsewhere(DocumentFactory)
    replica_alias.wait_for_replay()
    replica_alias.pause_replay()
    elsewhere(DocumentFactory)  # received by the replica, not replayed
    poll(
        lambda: replica_alias.execute("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")[0][0],
        what="the replica has received WAL it has not replayed",
    )
    # Waited for only now that replay is paused: before, the other workers' commits to the cluster (the
    # replica has all its databases) were replayed until the pause and made the last replay recent.
    poll(lambda: replay_age(replica_alias) > 0.5, what="the last replay is older than the limit")
    primary = connections[DEFAULT_DB_ALIAS]
    primary.ensure_connection()

    with psycopg.connect(replica_alias.primary_uri, autocommit=True) as conn:
        behind = replica_check(conn)

    assert not behind.ok
    assert behind.value > 0.5
    assert "more than the limit of 0.5 s" in behind.detail and "bytes of WAL behind" in behind.detail

    settings.TEKUPDB_REPLICA_MAX_LAG_SECONDS = 3600
    assert replica_check().ok


def test_the_dashboard_reads_on_the_replica_and_shows_its_lag(replica_alias, admin_client, settings):
    settings.TEKUPDB_REPLICA_MAX_LAG_SECONDS = 30
    replica_alias.wait_for_replay()
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica:
        response = admin_client.get(reverse("admin:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="dashboard-replica"' in page and "read replica lag (limit 30 s)" in page
    # The figures (row counts, sizes, versions) were read on the replica.
    assert any("pg_total_relation_size" in query["sql"] for query in on_replica)
