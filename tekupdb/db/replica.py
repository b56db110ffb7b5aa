"""Reads of the read-heavy paths on a streaming replica (`DATABASE_REPLICA_URL`), everything else on the
primary.

Only code that enters `reads_from_replica()` (a context manager and decorator) may read from the
replica: vault's searches, the admin's changelists (ReplicaMiddleware) and the dashboard. Inside it the
router still sends a read to the primary when
- a transaction is open on the primary (`atomic`): the transaction must see its own writes;
- the request has written, or the session wrote within TEKUPDB_REPLICA_READ_YOUR_WRITES_SECONDS
  (read-your-writes): the replica may not have replayed that write yet;
- the replica could not be reached within the last TEKUPDB_REPLICA_RETRY_SECONDS (fallback; one warning
  in the log per failure, not one per query).
Every write goes to the primary (the replica is a hot standby: it would refuse one anyway).

How a write is noticed: the project's backend runs every statement of the primary's connection through
`note_statement` (a Django execute wrapper), which treats anything but a plain read (SELECT, SHOW, …) as
a write. That sees raw SQL of the services (one-statement upserts) as well as the ORM; the router's
`db_for_write` would see only the ORM, and is also asked on a change form's GET, which writes nothing.
Code that writes through psycopg directly (COPY) calls `note_write()` itself.

Across requests the middleware keeps the pin in a signed cookie that lives for the read-your-writes
window: no session write and no server state, and it works for anonymous requests too. Outside a
request (commands, sibling services) a write pins the current context (thread) for the same window.

Unset DATABASE_REPLICA_URL means no `replica` alias: settings install neither the router nor the
middleware, and `reads_from_replica()` changes nothing.

This module imports no app (tekupdb/db is shipped in the wheel the siblings install).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, connections

REPLICA_ALIAS = "replica"
ROUTER_PATH = f"{__name__}.ReplicaRouter"
MIDDLEWARE_PATH = f"{__name__}.ReplicaMiddleware"
COOKIE_NAME = "tekupdb_wrote"
_COOKIE_SALT = "tekupdb.db.replica"

_log = logging.getLogger(__name__)


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


def read_your_writes_seconds() -> float:
    return float(getattr(settings, "TEKUPDB_REPLICA_READ_YOUR_WRITES_SECONDS", 5.0))


# --- where reads may go -----------------------------------------------------------------------------

_replica_reads: ContextVar[bool] = ContextVar("tekupdb_replica_reads", default=False)


@contextlib.contextmanager
def reads_from_replica():
    """Reads of the ORM (and of `read_alias()`) inside may be served by the replica. Also a decorator."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


@dataclass
class _Pin:
    """Whether reads of this request (or context) must stay on the primary."""

    in_request: bool = False
    wrote: bool = False  # this request wrote (only in a request: outside one, `until` is all there is)
    until: float = 0.0  # time.time() until which reads stay on the primary

    def active(self) -> bool:
        return self.wrote or time.time() < self.until


_pin: ContextVar[_Pin | None] = ContextVar("tekupdb_replica_pin", default=None)


def _current_pin() -> _Pin:
    pin = _pin.get()
    if pin is None:
        pin = _Pin()
        _pin.set(pin)
    return pin


def note_write() -> None:
    """Record that this request (or context) wrote: its reads stay on the primary from now on."""
    pin = _current_pin()
    pin.until = time.time() + read_your_writes_seconds()
    if pin.in_request:
        pin.wrote = True


def forget_writes() -> None:
    """Forget this context's writes (outside a request): tests, or a worker between two jobs."""
    _pin.set(None)


def pinned_to_primary() -> bool:
    pin = _pin.get()
    return pin is not None and pin.active()


# A statement that starts with one of these reads (or only sets up the session/transaction); anything
# else (INSERT, UPDATE, DELETE, MERGE, COPY, DDL, CALL, DO, …) counts as a write. A WITH counts as a write
# when it holds a data-modifying statement.
_READ_KEYWORDS = frozenset(
    {"SELECT", "SHOW", "EXPLAIN", "VALUES", "TABLE", "SET", "RESET", "SAVEPOINT", "RELEASE", "ROLLBACK",
     "FETCH", "CLOSE", "DECLARE"}
)  # fmt: skip
_FIRST_WORD = re.compile(r"\s*\(?\s*([A-Za-z]+)")
_DATA_MODIFYING = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def is_write(sql: str) -> bool:
    match = _FIRST_WORD.match(sql if isinstance(sql, str) else str(sql))
    if match is None:
        return True
    word = match.group(1).upper()
    if word == "WITH":
        return bool(_DATA_MODIFYING.search(sql))
    return word not in _READ_KEYWORDS


def note_statement(execute, sql, params, many, context):
    """Execute wrapper of the primary's connections (installed by the backend): notes writes."""
    if replica_configured() and is_write(sql):
        note_write()
    return execute(sql, params, many, context)


# --- reaching the replica -----------------------------------------------------------------------------

_state_lock = threading.Lock()
_down_until = 0.0  # time.monotonic() until which the replica is taken as unreachable


def _retry_seconds() -> float:
    return float(getattr(settings, "TEKUPDB_REPLICA_RETRY_SECONDS", 30.0))


def replica_reachable() -> bool:
    """Whether this thread has (or can open) a connection to the replica. A failure is remembered for
    TEKUPDB_REPLICA_RETRY_SECONDS and logged once, as a warning: reads meanwhile go to the primary."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    replica = connections[REPLICA_ALIAS]
    if replica.connection is not None:
        return True
    try:
        replica.ensure_connection()
    except Error as exc:
        with _state_lock:
            first = time.monotonic() >= _down_until
            _down_until = time.monotonic() + _retry_seconds()
        if first:
            _log.warning(
                "The read replica cannot be reached (%s): reads go to the primary; trying again in %.0f s.",
                str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__,
                _retry_seconds(),
            )
        return False
    return True


def forget_failure() -> None:
    """Try the replica again at the next read (tests, and after fixing the replica in a shell)."""
    global _down_until
    with _state_lock:
        _down_until = 0.0


def use_replica() -> bool:
    """Whether a read here and now goes to the replica (see the module's docstring for the rules)."""
    if not _replica_reads.get() or not replica_configured():
        return False
    if pinned_to_primary() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    return replica_reachable()


def read_alias() -> str:
    """The alias a raw-SQL read should use here and now: what the router would choose for the ORM."""
    return REPLICA_ALIAS if use_replica() else DEFAULT_DB_ALIAS


class ReplicaRouter:
    """Reads to the replica inside `reads_from_replica()` (with the exceptions above), all else to the
    primary. Installed by settings only when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        # Explicit: without an answer Django would write an object back to the database it was read
        # from, which for an object read on the replica is the read-only standby.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Primary and replica hold the same rows.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_ALIAS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA_ALIAS else None


# --- requests ---------------------------------------------------------------------------------------


def _reads_from_replica_view(request) -> bool:
    """The admin's changelists (GET: an action's POST writes) and index (the dashboard)."""
    match = request.resolver_match
    if request.method not in ("GET", "HEAD") or match is None or "admin" not in match.namespaces:
        return False
    return match.url_name == "index" or (match.url_name or "").endswith("_changelist")


class ReplicaMiddleware:
    """Read-your-writes across requests, and the admin's read-heavy views on the replica.

    A request that wrote sets a signed cookie that lives TEKUPDB_REPLICA_READ_YOUR_WRITES_SECONDS; while
    it lives, the session's reads stay on the primary. Placed after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        window = read_your_writes_seconds()
        recent = request.get_signed_cookie(COOKIE_NAME, default=None, salt=_COOKIE_SALT, max_age=window)
        pin = _Pin(in_request=True, until=time.time() + window if recent else 0.0)
        pin_token = _pin.set(pin)
        request._replica_reads_token = None
        try:
            response = self.get_response(request)
        finally:
            if request._replica_reads_token is not None:
                _replica_reads.reset(request._replica_reads_token)
            _pin.reset(pin_token)
        if pin.wrote:
            response.set_signed_cookie(
                COOKIE_NAME,
                "1",
                salt=_COOKIE_SALT,
                max_age=max(1, round(window)),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not _reads_from_replica_view(request):
            return None
        # Who is asking is read from the primary before the view's reads go to the replica: a session
        # or user made a moment ago may not be on the replica yet.
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 - evaluates the lazy user (session and user rows) here
        request._replica_reads_token = _replica_reads.set(True)
        return None
