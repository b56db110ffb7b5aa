import pytest
from django.db import connection

from shared.models import AuditLog
from shared.paginator import EstimatedCountPaginator


@pytest.fixture
def audit_rows(db):
    """Make `n` audit rows with the given actions (cycled), and refresh the planner's statistics."""

    def make(n: int, actions=("sync", "login", "export")) -> None:
        AuditLog.objects.all().delete()  # what the triggers recorded of the fixtures (users, logins)
        AuditLog.objects.bulk_create(
            AuditLog(action=actions[i % len(actions)], resource_type="thing", resource_id=str(i))
            for i in range(n)
        )
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "shared"."audit_logs"')

    return make


@pytest.fixture
def small_big_table_threshold(monkeypatch):
    """Treat tables of 10 rows or more as big, so that tests need not insert a million rows."""
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_below", 10)
    monkeypatch.setattr("shared.admin_filters.EXACT_COUNT_BELOW", 10)
