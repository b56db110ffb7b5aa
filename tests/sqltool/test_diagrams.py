import re

import pytest
from django.contrib.auth.models import Permission

from operations.console.diagrams import BOX_WIDTH, _layout, render_svg, schema_tables

SCHEMAS = ["vault", "billy", "renos", "crm", "flow", "shared"]


def test_each_schema_has_its_tables_keys_and_foreign_keys():
    flow = {table.name: table for table in schema_tables("flow")}
    assert not flow["flow.workflows"].external
    executions = {column.name: column for column in flow["flow.executions"].columns}
    assert executions["id"].primary and executions["workflow_id"].target == "flow.workflows"

    svg = render_svg("flow")
    assert 'data-from="flow.executions.workflow_id" data-to="flow.workflows"' in svg
    assert svg.count('class="fk"') == sum(1 for t in flow.values() for c in t.columns if c.target)


def test_keys_into_shared_are_drawn_to_a_dashed_outside_table():
    billy = {table.name: table for table in schema_tables("billy")}
    assert "billy.organizations" in billy
    renos_outside = [t.name for t in schema_tables("renos") if t.external]
    shared_targets = {
        c.target
        for t in schema_tables("shared")
        for c in t.columns
        if c.target and not c.target.startswith("shared.")
    }
    assert renos_outside == []  # renos keys stay inside renos
    assert "public.auth_group" in shared_targets  # users_groups → auth_group (Django's, in public)
    svg = render_svg("shared")
    assert 'data-table="public.auth_group"' in svg and 'stroke-dasharray="5 3"' in svg


def test_boxes_do_not_overlap():
    for schema in SCHEMAS:
        tables = schema_tables(schema)
        _layout(tables)
        for a in tables:
            for b in tables:
                if a is b:
                    continue
                apart = (
                    a.x + BOX_WIDTH <= b.x
                    or b.x + BOX_WIDTH <= a.x
                    or a.y + a.height <= b.y
                    or b.y + b.height <= a.y
                )
                assert apart, (schema, a.name, b.name)


@pytest.mark.django_db
def test_the_page_is_linked_from_the_schema_block_and_renders_svg(admin_client):
    index = admin_client.get("/admin/").content.decode()
    for schema in SCHEMAS:
        assert f'href="/admin/diagrams/{schema}/"' in index
    response = admin_client.get("/admin/diagrams/renos/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "renos.invoices" in body and "<script" not in body.split("<svg", 1)[1]
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", body.split("<svg", 1)[1].split("</svg>")[0])
    svg = admin_client.get("/admin/diagrams/renos/?format=svg")
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    assert admin_client.get("/admin/diagrams/nope/").status_code == 404


@pytest.mark.django_db
def test_staff_see_the_diagrams_of_schemas_they_may_view_only(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/admin/diagrams/crm/").status_code == 403
    staff_user.user_permissions.add(Permission.objects.get(codename="view_deal"))
    assert client.get("/admin/diagrams/crm/").status_code == 200
    assert client.get("/admin/diagrams/flow/").status_code == 403


@pytest.mark.django_db
def test_the_index_links_the_tools_each_user_may_open(admin_client, client, staff_user):
    assert "Server activity" in admin_client.get("/admin/").content.decode()
    client.force_login(staff_user)
    body = client.get("/admin/").content.decode()
    assert "SQL tool" not in body and "Server activity" not in body
