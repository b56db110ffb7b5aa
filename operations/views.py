from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from operations.health import run_checks


@never_cache
@require_GET
def healthz(request):
    """Readiness for load balancers, no login: the cheap health checks, 200 when all pass, else 503."""
    report = run_checks(include_slow=False)
    connection = report.check("connection")
    body = {
        "status": "ok" if report.status == "healthy" else "error",
        "health": report.status,
        "database_ms": connection.value if connection and connection.ok else None,
        # Names and outcomes only: versions and error details are for staff (the dashboard, `manage.py
        # health`), not for whoever can reach this unauthenticated URL.
        "checks": [{"name": check.name, "ok": check.ok} for check in report.checks],
    }
    if report.status == "unreachable":
        body["database"] = "unreachable"
    return JsonResponse(body, status=200 if report.status == "healthy" else 503)
