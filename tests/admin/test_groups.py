import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client, RequestFactory

from operations.groups import AUDITORS, SCHEMA_GROUPS, SQL, setup_groups
from shared.admin_base import is_audit_table
from shared.services import create_user

PASSWORD = "a-long-test-passw0rd"


def member_of(group_name: str) -> tuple[Client, object]:
    user = create_user(email=f"{group_name.replace(' ', '.')}@tekup.dk", name=group_name, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=group_name))
    client = Client()
    client.force_login(user)
    return client, user


def registered_models(app_label: str):
    return [model for model in admin.site._registry if model._meta.app_label == app_label]


def admin_url(model, view: str = "changelist") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/" + ("add/" if view == "add" else "")


def test_command_creates_each_group_and_is_idempotent(db, capsys):
    call_command("setup_groups")
    call_command("setup_groups")

    out = capsys.readouterr().out
    assert "vault editors: updated" in out and "7 groups ready." in out
    assert sorted(Group.objects.values_list("name", flat=True)) == sorted([*SCHEMA_GROUPS, AUDITORS, SQL])


@pytest.mark.parametrize(("group_name", "app_label"), SCHEMA_GROUPS.items())
def test_a_schema_group_holds_exactly_its_schemas_permissions(db, group_name, app_label):
    setup_groups()

    granted = set(
        Group.objects.get(name=group_name).permissions.values_list("content_type__app_label", "codename")
    )
    expected = set()
    for model in apps.get_app_config(app_label).get_models():
        actions = ["view"] if is_audit_table(model) else ["add", "change", "delete", "view"]
        expected |= {(app_label, f"{action}_{model._meta.model_name}") for action in actions}
    assert granted == expected


def test_setup_groups_removes_permissions_granted_by_hand(db):
    setup_groups()
    group = Group.objects.get(name="crm staff")
    group.permissions.add(Permission.objects.get(codename="delete_user"))

    setup_groups()

    assert not group.permissions.filter(codename="delete_user").exists()


def test_auditors_view_everything_and_change_nothing(db):
    setup_groups()

    codenames = set(Group.objects.get(name=AUDITORS).permissions.values_list("codename", flat=True))
    assert codenames == set(
        Permission.objects.filter(codename__startswith="view_").values_list("codename", flat=True)
    )
    assert {"view_user", "view_auditlog", "view_group"} <= codenames


def test_an_auditor_sees_but_cannot_change_users(db):
    setup_groups()
    target = create_user(email="target@tekup.dk", name="Target")
    client, _ = member_of(AUDITORS)

    assert client.get("/admin/shared/user/").status_code == 200
    assert client.get(f"/admin/shared/user/{target.pk}/change/").status_code == 200
    assert client.get("/admin/shared/user/add/").status_code == 403
    response = client.post(
        f"/admin/shared/user/{target.pk}/change/", {"email": "target@tekup.dk", "name": "Changed"}
    )
    assert response.status_code == 403
    assert client.post(f"/admin/shared/user/{target.pk}/delete/", {"post": "yes"}).status_code == 403
    target.refresh_from_db()
    assert target.name == "Target"


@pytest.mark.parametrize(("group_name", "app_label"), SCHEMA_GROUPS.items())
def test_a_schema_group_sees_only_its_schema(db, group_name, app_label):
    setup_groups()
    client, user = member_of(group_name)

    index = client.get("/admin/")
    assert index.status_code == 200
    shown = {app["app_label"] for app in index.context["app_list"]}
    assert shown <= {app_label}
    assert client.get("/admin/shared/user/").status_code == 403
    assert client.get("/admin/shared/auditlog/").status_code == 403

    for model in registered_models(app_label):
        assert client.get(admin_url(model)).status_code == 200
        request = RequestFactory().get("/admin/")
        request.user = user
        writable = admin.site._registry[model].has_add_permission(request)  # the app's own rules apply
        assert not (is_audit_table(model) and writable)
        assert client.get(admin_url(model, "add")).status_code == (200 if writable else 403)
    for other_label in set(SCHEMA_GROUPS.values()) - {app_label}:
        for model in registered_models(other_label):
            assert client.get(admin_url(model)).status_code == 403
