"""Server activity: a real blocker and a real waiter (two connections, the waiter in a thread)."""

import contextlib
import threading
import time

import psycopg
import pytest

from operations import pg
from shared.models import AuditLog

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def blocked_pair():
    """(blocker pid, waiter pid, waiter outcome): the blocker holds crm.metrics exclusively, the waiter
    wants to read it."""
    blocker = pg.connect()
    blocker.execute("BEGIN")
    blocker.execute('LOCK TABLE "crm"."metrics" IN ACCESS EXCLUSIVE MODE')
    waiter = pg.connect()
    waiter_pid = waiter.info.backend_pid
    outcome = {}

    def wait():
        try:
            waiter.execute('SELECT count(*) FROM "crm"."metrics" /* activity-probe */')
            outcome["result"] = "ran"
        except psycopg.Error as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=wait)
    thread.start()
    with pg.connect() as observer:
        wait_until(
            lambda: (
                observer.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [waiter_pid]
                ).fetchone()
                == ("Lock",)
            )
        )
    yield blocker.info.backend_pid, waiter_pid, outcome, thread
    with contextlib.suppress(psycopg.OperationalError):  # terminated by the test
        blocker.execute("ROLLBACK")
    blocker.close()
    thread.join(timeout=10)
    waiter.close()


def test_the_page_shows_running_queries_and_the_blocking_tree(admin_client, blocked_pair):
    blocker_pid, waiter_pid, _, _ = blocked_pair

    response = admin_client.get("/admin/activity/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "activity-probe" in body
    assert "lock: relation" in body  # the waiter's wait event
    tree = response.context["tree"]
    assert [node.pid for node in tree] == [blocker_pid]
    assert [child.pid for child in tree[0].blocked] == [waiter_pid]
    assert tree[0].blocked[0].locks == ["ACCESS_SHARE on metrics"]


def test_cancel_stops_the_waiting_query_and_is_audited(admin_client, admin_user, blocked_pair):
    _, waiter_pid, outcome, thread = blocked_pair

    response = admin_client.post(f"/admin/activity/{waiter_pid}/cancel/")

    assert response.status_code == 302
    thread.join(timeout=10)
    assert isinstance(outcome.get("error"), psycopg.errors.QueryCanceled)
    entry = AuditLog.objects.get(action="activity.cancel")
    assert entry.actor_id == admin_user.pk and entry.actor == admin_user.email
    assert entry.resource_id == str(waiter_pid)
    assert "activity-probe" in entry.metadata["query"] and entry.metadata["delivered"] is True


def test_terminate_ends_the_blocker_and_is_audited(admin_client, blocked_pair):
    blocker_pid, _, outcome, thread = blocked_pair

    admin_client.post(f"/admin/activity/{blocker_pid}/terminate/")

    thread.join(timeout=10)
    assert outcome == {"result": "ran"}  # the lock went with the blocker
    assert AuditLog.objects.filter(action="activity.terminate", resource_id=str(blocker_pid)).exists()


def test_staff_who_are_not_superusers_get_403_and_nothing_is_signalled(client, staff_user, blocked_pair):
    blocker_pid, waiter_pid, outcome, thread = blocked_pair
    client.force_login(staff_user)

    assert client.get("/admin/activity/").status_code == 403
    assert client.post(f"/admin/activity/{waiter_pid}/cancel/").status_code == 403
    assert client.post(f"/admin/activity/{blocker_pid}/terminate/").status_code == 403

    with pg.connect() as observer:
        state = observer.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [waiter_pid]
        ).fetchone()
        assert state == ("Lock",)  # still waiting: neither signal was sent
        assert observer.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [blocker_pid]).fetchone()
    assert outcome == {}
    assert not AuditLog.objects.filter(action__startswith="activity.").exists()


def test_signals_need_post_and_a_backend_of_this_database(admin_client):
    assert admin_client.get("/admin/activity/1/cancel/").status_code == 405
    assert admin_client.post("/admin/activity/999999/cancel/").status_code == 404
    assert admin_client.post("/admin/activity/999999/explode/").status_code == 404


def test_string_values_of_other_sessions_never_reach_the_page_or_the_audit(admin_client, admin_user):
    secret = "v1:deadbeef:do-not-show"
    holder = pg.connect()
    holder.execute("BEGIN")
    holder.execute(f"SELECT '{secret}' AS token, $$also {secret}$$ /* redaction-probe */")
    try:
        response = admin_client.get("/admin/activity/")
        body = response.content.decode()
        assert "redaction-probe" in body  # listed: idle in transaction
        assert secret not in body and "&#x27;…&#x27;" in body
        admin_client.post(f"/admin/activity/{holder.info.backend_pid}/terminate/")
        entry = AuditLog.objects.get(action="activity.terminate")
        assert secret not in entry.metadata["query"] and "redaction-probe" in entry.metadata["query"]
    finally:
        holder.close()


def test_idle_backends_are_listed_on_request_only(admin_client):
    with pg.connect() as idle:
        idle.execute("SELECT 1 /* idle-probe */")
        assert "idle-probe" not in admin_client.get("/admin/activity/").content.decode()
        assert "idle-probe" in admin_client.get("/admin/activity/?idle=1").content.decode()
