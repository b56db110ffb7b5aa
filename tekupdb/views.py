import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: one database round trip, no login."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure to reach the database is "unhealthy", not a 500
        return JsonResponse(
            {"status": "error", "database": "unreachable", "error": exc.__class__.__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "database_ms": round((time.perf_counter() - started) * 1000, 2)})
