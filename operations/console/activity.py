"""Server activity in the admin, for superusers: what runs, what waits on which lock, cancel/terminate.

The rows come from django-pgactivity (`PGActivity`, pg_stat_activity of this database) and
django-pglock (`BlockedPGLock`, each blocked lock with the backend blocking it, from
pg_blocking_pids). Chosen over own SQL because both are maintained together (releases through 2025,
Django 4.2-6.0, Python 3.10-3.14). What they lack is a page, so this module renders one, and audits
every signal through `shared.services.log_event`. The signal itself is one statement here, not
pgactivity's `cancel()`, because that does not say whether the backend was signalled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import wraps

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from pgactivity.models import PGActivity
from pglock.models import BlockedPGLock

SIGNALS = {"cancel": "pg_cancel_backend", "terminate": "pg_terminate_backend"}
# String literals of other sessions' SQL may be secrets (a password hash being written, a token, a key
# a service passes in plain SQL): the page and the audit show the statement's shape, never its values.
_LITERAL = re.compile(r"(?:[EeBbXxUu]&?)?'(?:[^']|'')*'|\$((?:[A-Za-z_]\w*)?)\$.*?\$\1\$", re.DOTALL)


def redact(query: str) -> str:
    """The query with every string literal (quoted or dollar-quoted) replaced by '…'."""
    return _LITERAL.sub("'…'", query or "")


def superuser_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not request.user.is_superuser:
            raise PermissionDenied("Server activity is for superusers.")
        return view(request, *args, **kwargs)

    return wrapped


@dataclass
class Node:
    pid: int
    activity: PGActivity | None
    locks: list[str] = field(default_factory=list)
    blocked: list[Node] = field(default_factory=list)


def blocking_tree(activities: dict[int, PGActivity]) -> list[Node]:
    """Backends that block others and are not blocked themselves, each with what waits on it (nested)."""
    edges: dict[int, set[int]] = {}
    waits: dict[int, list[str]] = {}
    for lock in BlockedPGLock.objects.filter(granted=False).values(
        "activity_id", "blocking_activity_id", "mode", "rel_name"
    ):
        edges.setdefault(lock["blocking_activity_id"], set()).add(lock["activity_id"])
        waits.setdefault(lock["activity_id"], []).append(f"{lock['mode']} on {lock['rel_name']}")
    # Row locks wait on a transaction id, not a relation (pglock lists relation locks): the edges come
    # from pg_blocking_pids, which sees both.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, unnest(pg_blocking_pids(pid)) FROM pg_stat_activity WHERE pid = ANY(%s)",
            [list(activities)],
        )
        for pid, blocker in cursor.fetchall():
            edges.setdefault(blocker, set()).add(pid)
    blocked = {pid for children in edges.values() for pid in children}

    def build(pid: int, seen: frozenset[int]) -> Node:
        node = Node(pid=pid, activity=activities.get(pid), locks=sorted(set(waits.get(pid, []))))
        for child in sorted(edges.get(pid, ())):
            if child not in seen:  # a deadlock is a cycle: show it once
                node.blocked.append(build(child, seen | {child}))
        return node

    roots = [pid for pid in edges if pid not in blocked] or sorted(edges)[:1]
    return [build(pid, frozenset({pid})) for pid in sorted(roots)]


@superuser_only
def activity_view(request):
    own_pid = connection.cursor().connection.info.backend_pid
    show_idle = request.GET.get("idle") == "1"
    rows = list(
        PGActivity.objects.exclude(id=own_pid).filter(backend_type="CLIENT_BACKEND").order_by("-duration")
    )
    for row in rows:
        row.query = redact(row.query)
    context = {
        **admin.site.each_context(request),
        "title": "Server activity",
        "show_idle": show_idle,
        # An idle backend's query is its last one, finished long ago: listed on request only.
        "activities": [row for row in rows if show_idle or row.state != "IDLE"],
        "tree": blocking_tree({row.id: row for row in rows}),
    }
    return render(request, "admin/tekupdb/activity.html", context)


@require_POST
@superuser_only
def signal_view(request, pid: int, signal: str):
    """Cancel the running query of a backend, or terminate the backend; audited either way."""
    from shared.services import log_event

    if signal not in SIGNALS:
        raise Http404("Unknown signal.")
    activity = PGActivity.objects.pid(pid).first()
    if activity is None:
        raise Http404(f"No backend {pid} in this database.")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {SIGNALS[signal]}(%s)", [pid])
        delivered = bool(cursor.fetchone()[0])
    log_event(
        action=f"activity.{signal}",
        resource_type="pg_backend",
        resource_id=pid,
        user=request.user,
        metadata={"query": redact(activity.query)[:10_000], "state": activity.state, "delivered": delivered},
    )
    level = messages.SUCCESS if delivered else messages.WARNING
    verb = "Cancelled the query of" if signal == "cancel" else "Terminated"
    text = f"{verb} backend {pid}." if delivered else f"Backend {pid} was not signalled."
    messages.add_message(request, level, text)
    return redirect("tekup_activity")
