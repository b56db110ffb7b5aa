import re

import pytest
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from shared.models import AuditLog
from shared.paginator import EstimatedCountPaginator, count_within, is_unfiltered, table_row_estimate

CHANGELIST = "/admin/shared/auditlog/"
COUNT = re.compile(r"\bCOUNT\(", re.IGNORECASE)


def counts(queries) -> list[str]:
    return [q["sql"] for q in queries if COUNT.search(q["sql"])]


def test_unfiltered_changelist_of_a_big_table_runs_no_count(
    admin_client, audit_rows, small_big_table_threshold
):
    audit_rows(30)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert counts(queries.captured_queries) == []
    assert "about 30 audit logs" in response.content.decode()
    assert response.context["cl"].paginator.count_is_estimate


def test_filtered_changelist_counts_exactly(admin_client, audit_rows, small_big_table_threshold):
    audit_rows(30)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST, {"action": "login"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 10
    assert not response.context["cl"].paginator.count_is_estimate
    # exactly one count, of the filtered rows; no second "full result count"
    assert len(counts(queries.captured_queries)) == 1
    assert "WHERE" in counts(queries.captured_queries)[0].upper()


def test_small_table_is_counted_exactly_without_a_timeout(admin_client, audit_rows):
    audit_rows(5)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)

    assert not [q for q in queries.captured_queries if "statement_timeout" in q["sql"]]

    assert response.context["cl"].result_count == 5
    assert "5 audit logs" in response.content.decode()
    assert "about" not in response.context["cl"].paginator.count_label


def test_estimate_follows_the_table_after_analyze(audit_rows):
    audit_rows(120)

    assert table_row_estimate(AuditLog) == 120


def test_estimate_is_exact_after_analyze_whatever_the_number_of_pages(audit_rows):
    """The scaled estimate (reltuples / relpages * pages) is floating point: it must round, not truncate
    (120 rows on 11 pages made 119). Dead rows, which every audited write leaves, spread the table over
    more pages: check a row count on every page count from 1 to 40."""
    seen_pages = set()
    audit_rows(120)
    for _ in range(200):
        with connection.cursor() as cursor:
            # shared.audit_logs is partitioned by month: its pages are its partitions' pages.
            cursor.execute(
                'SELECT sum(c.relpages) FROM pg_partition_tree(\'"shared"."audit_logs"\') t '
                "JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf"
            )
            pages = cursor.fetchone()[0]
        seen_pages.add(pages)
        for rows in (120, 30):
            audit_rows(rows)  # deletes the rows before (dead rows on their pages), then ANALYZE
            assert table_row_estimate(AuditLog) == rows, (pages, rows)
        if pages > 40:
            break
    assert max(seen_pages) > 40  # the loop went through the page counts where truncation showed


def test_a_count_that_times_out_says_many_and_leaves_the_transaction_usable(db, audit_rows):
    audit_rows(10)
    # each row costs 30 ms to test, so counting all ten takes 300 ms: beyond a 50 ms timeout
    slow = AuditLog.objects.filter(RawSQL("pg_sleep(0.03) IS NOT NULL", [], output_field=BooleanField()))

    class Impatient(EstimatedCountPaginator):
        exact_count_below = 5  # ten rows count as a big table here
        count_timeout_ms = 50

    paginator = Impatient(slow, per_page=2)

    assert paginator.count == 3  # one page more than the first: "next" still shows
    assert paginator.count_is_lower_bound
    assert paginator.count_label == "many"
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
    assert AuditLog.objects.count() == 10


def test_a_count_within_the_timeout_restores_the_previous_timeout(db, audit_rows):
    audit_rows(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '7s'")

    assert count_within(AuditLog.objects.all(), timeout_ms=100) == 3
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "7s"


@pytest.mark.parametrize(
    ("queryset", "expected"),
    [
        (lambda: AuditLog.objects.all(), True),
        (lambda: AuditLog.objects.order_by("action"), True),
        (lambda: AuditLog.objects.filter(action="x"), False),
        (lambda: AuditLog.objects.distinct(), False),
        (lambda: AuditLog.objects.all()[:5], False),
    ],
)
def test_only_a_whole_table_counts_as_unfiltered(db, queryset, expected):
    assert is_unfiltered(queryset()) is expected


def test_list_filter_choices_of_a_big_table_come_from_statistics(
    admin_client, audit_rows, small_big_table_threshold
):
    audit_rows(30)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)

    distinct = [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]
    assert distinct == []
    page = response.content.decode()
    assert all(f"?action={action}" in page for action in ("sync", "login", "export"))


def test_changelist_query_count_does_not_grow_with_rows(admin_client, admin_user):
    def page_queries(n: int) -> int:
        AuditLog.objects.bulk_create(
            AuditLog(action="a", resource_type="t", resource_id=str(i), actor=admin_user.email)
            for i in range(n)
        )
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(queries.captured_queries)

    assert page_queries(3) == page_queries(40)


@pytest.mark.urls("tests.admin.urls")
def test_a_big_table_trades_its_date_hierarchy_for_a_date_filter(admin_client, small_big_table_threshold):
    from shared.services import create_user

    for i in range(3):
        create_user(email=f"u{i}@tekup.dk", name=f"U{i}")
    with connection.cursor() as cursor:
        # The estimate of this table's size, not one that an earlier test's ANALYZE left (pg_class's
        # statistics are written in place: a rolled-back test keeps them).
        cursor.execute('ANALYZE "shared"."users"')
    assert admin_client.get("/admin/shared/user/").context["cl"].date_hierarchy == "created_at"

    for i in range(3, 30):
        create_user(email=f"u{i}@tekup.dk", name=f"U{i}")
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "shared"."users"')
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/admin/shared/user/")

    assert response.context["cl"].date_hierarchy is None
    assert "created_at__gte=" in response.content.decode()  # DateFieldListFilter's links
    assert [q["sql"] for q in queries.captured_queries if "DATE_TRUNC" in q["sql"].upper()] == []
