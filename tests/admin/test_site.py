import datetime
import json

from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from billy import factories
from operations.console import charts, dashboard
from operations.console.admin_site import TekupAdminSite
from shared.models import AuditLog
from shared.services import create_user, log_event


def test_the_project_site_replaces_the_default_one():
    assert isinstance(admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site, TekupAdminSite)
    assert admin.site.site_header == admin.site.site_title == "Tekup Database"


def test_index_groups_apps_by_schema_with_a_description(admin_client):
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Schemas | Tekup Database</title>" in page
    shared = next(app for app in response.context["app_list"] if app["app_label"] == "shared")
    assert (shared["name"], shared["schema"], shared["description"]) == (
        "Shared",
        "shared",
        "users and audit",
    )
    assert "schema shared" in page and "users and audit" in page
    labels = [app["app_label"] for app in response.context["app_list"]]
    assert labels.index("shared") < labels.index("auth")  # the schemas first, Django's own last


def test_the_app_list_is_built_only_for_the_pages_that_show_it(admin_client, monkeypatch):
    """Django's each_context asks every page for the app list (the nav sidebar's, off here); building it
    reverses a URL per model, so only the index and an app's page may pay for it."""
    built = []
    ordered = TekupAdminSite._ordered_app_list

    def spy(self, request, app_label):
        built.append(request.path)
        return ordered(self, request, app_label)

    monkeypatch.setattr(TekupAdminSite, "_ordered_app_list", spy)
    for path in ["/admin/shared/user/", "/admin/crm/company/add/", "/admin/", "/admin/crm/"]:
        assert admin_client.get(path).status_code == 200, path

    assert built == ["/admin/", "/admin/crm/"]


def test_index_shows_the_dashboard(admin_client):
    log_event(action="admin.change", resource_type="shared.user", resource_id="1")

    response = admin_client.get("/admin/")

    page = response.content.decode()
    board = response.context["dashboard"]
    assert board.unavailable == []
    assert board.pgvector_version and f"pgvector {board.pgvector_version}" in page
    assert board.database_size > 0
    assert [s.schema for s in board.schemas][:6] == ["vault", "billy", "renos", "crm", "flow", "shared"]
    assert 'id="dashboard-schemas"' in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="tekup-chart"' in page
    assert set(board.charts) >= {"schema_sizes", "admin_edits"}


def test_row_counts_are_exact_for_small_tables_and_estimated_for_big(db, staff_user):
    AuditLog.objects.all().delete()  # the audit of staff_user's creation
    AuditLog.objects.bulk_create(
        AuditLog(action="a", resource_type="t", resource_id=str(i)) for i in range(40)
    )
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "shared"."audit_logs"')

    exact = {t.table: t for t in dashboard.table_stats(["shared"])}
    estimated = {t.table: t for t in dashboard.table_stats(["shared"], exact_count_below=20)}

    assert (exact["audit_logs"].rows, exact["audit_logs"].estimated) == (40, False)
    assert (exact["users"].rows, exact["users"].estimated) == (1, False)
    # The planner's estimate (reltuples scaled to today's pages), not a count: close to 40, not exact by
    # contract (a full run once saw 39).
    assert estimated["audit_logs"].estimated and 36 <= estimated["audit_logs"].rows <= 44
    shared = dashboard.schema_stats(list(estimated.values()), ["shared"])[0]
    assert shared.estimated and shared.rows >= 41 and shared.size_bytes > 0


def test_newest_backup_is_the_latest_complete_backup(tmp_path):
    assert dashboard.newest_backup(tmp_path) is None
    for hours_ago, name in [(2, "tekup-old"), (1, "tekup-new"), (0, "tekup-partial")]:
        created = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(hours=hours_ago)
        (tmp_path / f"{name}.json").write_text(
            json.dumps({"dump": f"{name}.dump", "created_at": created.isoformat()})
        )
        if name != "tekup-partial":  # a manifest without its dump is not a backup
            (tmp_path / f"{name}.dump").write_bytes(b"x" * 10)

    newest = dashboard.newest_backup(tmp_path)

    assert (newest["name"], newest["size_bytes"], newest["count"]) == ("tekup-new.dump", 10, 2)


def test_admin_edits_per_hour_are_zero_filled(db):
    now = datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.UTC)
    for minutes_ago in (10, 20, 130):
        entry = log_event(action="admin.change", resource_type="x", resource_id="1")
        AuditLog.objects.filter(pk=entry.pk).update(created_at=now - datetime.timedelta(minutes=minutes_ago))

    series = dashboard.hourly(
        AuditLog.objects.all(), field="created_at", since=now - datetime.timedelta(hours=24)
    )

    assert len(series) == 25 and sum(v for _, v in series) == 3
    by_hour = {hour: value for hour, value in series}
    assert by_hour[datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)] == 2
    assert by_hour[datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC)] == 1


def test_the_dashboard_needs_its_own_permission(client, db):
    from django.contrib.auth.models import Permission

    from operations.groups import AUDITORS, setup_groups

    clerk = create_user(email="clerk@tekup.dk", name="Clerk", password="a-long-test-passw0rd", is_staff=True)
    client.force_login(clerk)
    response = client.get("/admin/")
    assert response.status_code == 200 and response.context["dashboard"] is None
    page = response.content.decode()
    assert 'id="tekup-dashboard"' not in page and "pgvector" not in page

    setup_groups()
    auditors = Group.objects.get(name=AUDITORS)
    assert auditors.permissions.filter(codename="view_dashboard").exists()
    clerk.groups.add(auditors)
    clerk = type(clerk).objects.get(pk=clerk.pk)  # permissions are cached per user object
    client.force_login(clerk)
    assert client.get("/admin/").context["dashboard"] is not None
    assert Permission.objects.filter(codename="view_dashboard", content_type__app_label="shared").exists()


def test_the_billy_section_needs_billy_permissions(db):
    clerk = create_user(email="clerk@tekup.dk", name="Clerk", is_staff=True)

    assert dashboard.build_dashboard(user=clerk).billy is None


def test_charts_escape_labels_and_scale_bars():
    svg = charts.bar_chart([("<script>", 100), ("b", 50)], title="t & u")

    assert "<script>" not in svg and "&lt;script&gt;" in svg and "t &amp; u" in svg
    assert 'width="260.0"' in svg and 'width="130.0"' in svg  # 420 - 80 - 80 = 260 for the largest
    empty = charts.column_chart([], title="nothing")
    assert empty.startswith("<svg") and "max 0" in empty


def test_billy_activity_counts_caches_and_rate_limited_requests(db):
    now = timezone.now()
    organization = factories.OrganizationFactory(name="Rendetalje")
    factories.CachedInvoiceFactory(organization=organization, expires_at=now + datetime.timedelta(hours=1))
    factories.CachedInvoiceFactory(organization=organization, expires_at=now - datetime.timedelta(hours=1))
    for endpoint, requests in [("/v2/invoices", 7), ("/v2/contacts", 2)]:
        factories.RateLimitFactory(
            organization=organization,
            endpoint=endpoint,
            window_start=now - datetime.timedelta(minutes=10),
            request_count=requests,
        )

    activity = dashboard.billy_activity(now)

    invoices = activity["caches"][0]
    assert (invoices["rows"], invoices["live"], invoices["recent"]) == (2, 1, 2)
    assert activity["busiest_endpoints"][0] == {
        "organization__name": "Rendetalje",
        "endpoint": "/v2/invoices",
        "requests": 7,
    }
    assert sum(value for _, value in activity["rate_limit_per_hour"]) == 9
