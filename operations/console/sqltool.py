"""The admin's SQL tool: django-sql-explorer at /admin/sql/, behind the project's own door.

Why explorer: it is maintained (releases through 2026) and brings saved queries shared between its
users, paged results, CSV export, a schema browser and a run log. Its package metadata names Django up to
5.0 and Python up to 3.12; this project's tests run it on Django 5.2 with Python 3.11 and 3.13.
django-sql-dashboard was the other candidate: it too is built for a read-only PostgreSQL role, but has
had no release since 2023, shows only the first rows (no paging) and keeps no run log. Explorer's
`ee/` folder carries a Commons Clause (no reselling it as a service); of it only the connection model
that its core needs is used here, and the features behind it are switched off (settings). Know that
explorer's apps.py replaces `django.db.transaction.get_connection`: for every alias in DATABASES it
returns the same connection as Django's; only an unknown alias is looked up in explorer's table.

What this module adds around explorer:
- who: superusers and members of the `sql` group (setup_groups makes it). Other staff get 403 on every
  page; anonymous users go to the admin login.
- where: queries run only on the read-only alias (settings.READONLY_DATABASE), which connects as the
  role `<prefix>readonly`; without that alias the pages say the tool is not configured.
- audit: every statement a run, an export or an EXPLAIN sends to the read-only alias is recorded through
  `shared.services.log_event` (actor, SQL text, rows, duration, error).
- EXPLAIN of a saved query, without ANALYZE: nothing is executed.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connections
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, reverse

from ..groups import SQL as SQL_GROUP

# Longest SQL text kept in one audit entry (the rest is cut, marked by `sql_truncated`).
AUDIT_SQL_MAX_CHARS = 10_000


def can_use_sql_tool(user) -> bool:
    """Superusers and staff in the `sql` group."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=SQL_GROUP).exists()


def is_configured() -> bool:
    return settings.READONLY_DATABASE in settings.DATABASES


def readonly_connection():
    """Explorer's row for the read-only alias (made by its migration; made again after a flush)."""
    from explorer.ee.db_connections.models import DatabaseConnection

    connection, _ = DatabaseConnection.objects.get_or_create(
        alias=settings.READONLY_DATABASE,
        defaults={"name": settings.READONLY_DATABASE, "engine": DatabaseConnection.DJANGO, "default": True},
    )
    return connection


class RunRecorder:
    """An execute wrapper of the read-only alias: one audit entry per statement, failed ones too."""

    def __init__(self, user, *, action: str, resource_id: str):
        self.user, self.action, self.resource_id = user, action, resource_id

    def __call__(self, execute, sql, params, many, context):
        from shared.services import log_event

        started = time.monotonic()
        rows, error = None, None
        try:
            result = execute(sql, params, many, context)
            rows = context["cursor"].rowcount
            return result
        except DatabaseError as exc:
            error = str(exc).strip()
            raise
        finally:
            text = str(sql)
            log_event(
                action=self.action,
                resource_type="sql",
                resource_id=self.resource_id,
                user=self.user,
                metadata={
                    "sql": text[:AUDIT_SQL_MAX_CHARS],
                    "sql_truncated": len(text) > AUDIT_SQL_MAX_CHARS,
                    "rows": rows if rows is not None and rows >= 0 else None,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "error": error,
                },
            )


def guard(view, *, record: bool = False, enabled: bool = True):
    """Wrap an explorer view: the door (login, 403), the configuration check, and the audit."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not can_use_sql_tool(request.user):
            raise PermissionDenied("The SQL tool is for superusers and the sql group.")
        if not enabled:
            raise Http404("Not available in this installation.")
        if not is_configured():
            return render(
                request,
                "admin/tekupdb/sql_not_configured.html",
                {**admin.site.each_context(request), "title": "SQL tool"},
                status=503,
            )
        explorer_connection = readonly_connection()
        if not record:
            return view(request, *args, **kwargs)
        # What the page needs besides the run happens before the recorder is on: the connection's own
        # setup (type look-ups) and the schema for the editor's completion (cached after the first).
        from explorer.schema import schema_json_info

        connection = connections[settings.READONLY_DATABASE]
        connection.ensure_connection()
        schema_json_info(explorer_connection)
        query_id = str(kwargs.get("query_id", "") or "ad hoc")
        recorder = RunRecorder(request.user, action="sql.run", resource_id=query_id)
        with connection.execute_wrapper(recorder):
            return view(request, *args, **kwargs)

    return wrapped


# Explorer views that run SQL (recorded), and the ones this installation switches off (404): user
# connections and uploads (no other database), the AI assistant (nothing leaves the server), e-mail.
RUNNING_VIEWS = {"query_detail", "download_query", "stream_query", "download_sql", "explorer_playground"}
DISABLED_PREFIXES = ("explorer_connection", "explorer_upload", "assistant", "table_description")
DISABLED_VIEWS = {"email_csv_query"}


def explorer_urlpatterns() -> list[URLPattern]:
    """Explorer's URL patterns, each behind `guard`."""
    from explorer.urls import urlpatterns

    guarded = []
    for pattern in urlpatterns:
        name = pattern.name or ""
        enabled = not (name in DISABLED_VIEWS or name.startswith(DISABLED_PREFIXES))
        callback = guard(pattern.callback, record=name in RUNNING_VIEWS, enabled=enabled)
        guarded.append(URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name))
    return guarded


def explain(request, query_id: int):
    """The plan of a saved query, as text. EXPLAIN without ANALYZE plans and never executes; the fixed
    options come first, so SQL that starts with its own "(ANALYZE) ..." is a syntax error."""
    from explorer.models import Query

    query = get_object_or_404(Query, pk=query_id)
    plan, error = [], None
    recorder = RunRecorder(request.user, action="sql.explain", resource_id=str(query.pk))
    connection = connections[settings.READONLY_DATABASE]
    try:
        with connection.execute_wrapper(recorder), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE false, VERBOSE false, FORMAT TEXT) " + query.final_sql())
            plan = [row[0] for row in cursor.fetchall()]
    except DatabaseError as exc:
        error = str(exc).strip()
    finally:
        connection.close()
    context = {
        **admin.site.each_context(request),
        "title": f"EXPLAIN: {query.title}",
        "query": query,
        "plan": "\n".join(plan),
        "error": error,
    }
    return render(request, "admin/tekupdb/sql_explain.html", context, status=400 if error else 200)


def tool_links(user) -> list[tuple[str, str]]:
    """The pgAdmin-style tools this user may open, for the admin index: (label, url)."""
    links = []
    if can_use_sql_tool(user):
        links.append(("SQL tool", reverse("explorer_index")))
    if user.is_superuser:
        links.append(("Server activity", reverse("tekup_activity")))
    return links
