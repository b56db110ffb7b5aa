"""The pgAdmin replacements in a real browser: the SQL tool (run a saved query, export it, a refused
write), and the doors of the SQL tool, server activity and the schema diagrams."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from operations.groups import SQL
from shared.models import AuditLog, User
from shared.services import create_user

from .conftest import PASSWORD

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "readonly"]),
    # With DATABASE_URL and no TEKUPDB_READONLY_DATABASE_URL the tool is not configured (tested below
    # where it says so); everything else needs the read-only database.
    pytest.mark.skipif(
        settings.READONLY_DATABASE not in settings.DATABASES,
        reason="no read-only database: set TEKUPDB_READONLY_DATABASE_URL",
    ),
]


@pytest.fixture
def sql_user(transactional_db):
    user = create_user(email="analyst@tekup.dk", name="Analyst", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=SQL)[0])
    return user


@pytest.fixture
def saved_query(sql_user):
    from explorer.models import Query

    from operations.console.sqltool import readonly_connection

    create_user(email="anna@tekup.dk", name="Anna")
    create_user(email="bo@tekup.dk", name="Bo")
    return Query.objects.create(
        title="Staff and others",
        sql="SELECT email, name FROM shared.users ORDER BY email",
        created_by_user=sql_user,
        database_connection=readonly_connection(),
    )


def test_a_sql_user_runs_a_saved_query_and_exports_it(new_page, sql_user, saved_query, screenshot):
    page = new_page(sql_user, width=1400, at="/admin/")
    page.click("#tekup-tools >> text=SQL tool")
    page.click(f"text={saved_query.title}")
    page.wait_for_url(f"**/admin/sql/{saved_query.pk}/**")
    cells = page.locator("td").all_inner_texts()
    assert {"anna@tekup.dk", "bo@tekup.dk", "analyst@tekup.dk"} <= {cell.strip() for cell in cells}
    screenshot(page, "sql-tool", full_page=True)

    page.click("#download_options")
    with page.expect_download() as download_info:
        page.click("a.dropdown-item >> text=CSV")
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert content == ["email,name", "analyst@tekup.dk,Analyst", "anna@tekup.dk,Anna", "bo@tekup.dk,Bo"]
    runs = AuditLog.objects.filter(action="sql.run", actor_id=sql_user.pk)
    assert runs.count() == 2  # the run and the export

    page.click("#explain_button")
    page.wait_for_url(f"**/admin/sql/{saved_query.pk}/explain/")
    assert "Seq Scan on users" in page.locator("#plan").inner_text()


def test_a_write_typed_into_the_tool_is_refused_by_the_database(new_page, sql_user, screenshot):
    bo = create_user(email="bo@tekup.dk", name="Bo")
    page = new_page(sql_user, width=1400, at="/admin/sql/play/")
    page.locator(".cm-content").click()
    page.keyboard.type("UPDATE shared.users SET name = 'Hacked'")
    page.click("#refresh_play_button")
    page.wait_for_load_state()

    assert "cannot execute UPDATE in a read-only transaction" in page.content()
    screenshot(page, "sql-tool-refused", full_page=True)
    assert User.objects.get(pk=bo.pk).name == "Bo"
    assert not User.objects.filter(name="Hacked").exists()


def test_plain_staff_get_403_on_every_page(new_page, saved_query):
    staff = create_user(email="plain@tekup.dk", name="Plain", password=PASSWORD, is_staff=True)
    page = new_page(staff, width=1400)
    for url in [
        "/admin/sql/",
        "/admin/sql/play/",
        f"/admin/sql/{saved_query.pk}/",
        f"/admin/sql/{saved_query.pk}/download?format=csv",
        f"/admin/sql/{saved_query.pk}/explain/",
        "/admin/activity/",
        "/admin/diagrams/renos/",
    ]:
        assert page.goto(url).status == 403, url
    assert not AuditLog.objects.filter(action="sql.run").exists()


def test_superuser_sees_activity_and_a_diagram(page, screenshot):
    page.goto("/admin/")
    page.click("#tekup-tools >> text=Server activity")
    page.wait_for_url("**/admin/activity/")
    assert page.locator("#activity").is_visible()
    screenshot(page, "activity", full_page=True)
    page.goto("/admin/")
    page.click("div.app-renos a.schema-diagram")
    page.wait_for_url("**/admin/diagrams/renos/")
    assert page.locator("svg.schema-diagram g.table").count() >= 23
    screenshot(page, "diagram-renos")
