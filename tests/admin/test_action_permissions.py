"""Every admin action of every ModelAdmin declares the permissions it needs: posted by a user who may only
view, it changes nothing (a digest of every table of the six schemas is the same before and after) and
answers with the admin's usual message; posted by a user who holds the permissions, it runs."""

import importlib

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from operations.groups import AUDITORS, setup_groups
from shared.apps_base import schema_names
from shared.services import create_user, log_event
from tests.support.database import built_for_the_module

SCHEMA_APPS = {"vault", "billy", "renos", "crm", "flow", "shared"}


def _actions():
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in SCHEMA_APPS and model is not Group:
            continue
        for action in model_admin.actions or []:
            found.append((model, action if isinstance(action, str) else action.__name__))
        found.append((model, "delete_selected"))
    return sorted(set(found), key=lambda pair: (pair[0]._meta.label, pair[1]))


ACTIONS = _actions()


def _factory(model):
    """A function making one row of `model`: the app's factory, or for shared (no factories) by hand."""
    if model._meta.app_label == "shared" or model is Group:
        makers = {
            "User": lambda: create_user(email="row@tekup.dk", name="Row"),
            "Group": lambda: Group.objects.create(name="row group"),
            "AuditLog": lambda: log_event(action="row", resource_type="t", resource_id="1"),
        }
        return makers[model.__name__]
    module = importlib.import_module(f"{model._meta.app_label}.factories")
    return getattr(module, f"{model.__name__}Factory")


def digest() -> str:
    """One hash over the rows of every table of the six schemas (the audit aside: it is read-only), in one
    query: a query a table, twice in each of 76 tests, was 23,000 round trips."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname = ANY(%s) ORDER BY 1, 2
            """,
            [schema_names()],
        )
        tables = [(s, t) for s, t in cursor.fetchall() if f"{s}.{t}" != "shared.audit_logs"]
        rows = "string_agg(t::text, '|' ORDER BY t::text)"
        parts = ", ".join(
            f'(SELECT md5(COALESCE({rows}, \'\')) FROM "{schema}"."{table}" t)' for schema, table in tables
        )
        cursor.execute(f"SELECT array_to_string(ARRAY[{parts}], ',')")  # no 100-argument limit
        return cursor.fetchone()[0]


def test_every_custom_action_declares_its_permissions():
    undeclared = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in SCHEMA_APPS and model is not Group:
            continue  # third-party admins (django-axes) are theirs
        for action in model_admin.actions or []:
            func = getattr(model_admin, action) if isinstance(action, str) else action
            if not getattr(func, "allowed_permissions", None):
                undeclared.append(f"{model._meta.label}.{getattr(func, '__name__', action)}")
    assert undeclared == []


@pytest.fixture(scope="module")
def groups(django_db_setup, django_db_blocker):
    """The project's groups, made once for the module (setup_groups checks every app's permissions)."""
    with built_for_the_module(django_db_blocker, setup_groups) as made:
        yield made


@pytest.fixture
def viewer(groups, db):
    user = create_user(email="viewer@tekup.dk", name="Viewer", password="a-long-test-passw0rd", is_staff=True)
    user.groups.add(Group.objects.get(name=AUDITORS))
    return user


@pytest.mark.parametrize(
    ("model", "action"), ACTIONS, ids=lambda v: getattr(v, "_meta", None) and v._meta.label or v
)
def test_a_view_only_user_posting_an_action_changes_nothing(client, viewer, model, action):
    obj = _factory(model)()
    client.force_login(viewer)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    before = digest()

    response = client.post(
        url, {"action": action, "_selected_action": [obj.pk], "post": "yes", "index": 0}, follow=True
    )

    assert response.status_code in (200, 403)
    assert digest() == before
    if response.status_code == 200:
        messages = [str(m) for m in response.context["messages"]]
        # Django's answer to an action the user is not offered: "No action selected." (or, when the user
        # is offered no action at all, the changelist again).
        assert messages in ([], ["No action selected."]), messages
        assert response.request["PATH_INFO"] == url


@pytest.mark.parametrize(
    ("model", "action"), ACTIONS, ids=lambda v: getattr(v, "_meta", None) and v._meta.label or v
)
def test_a_user_holding_the_permissions_gets_and_runs_the_action(client, db, model, action):
    obj = _factory(model)()
    model_admin = admin.site._registry[model]
    # Every action the admin declares, before Django filters them by the user's permissions.
    func = {name: func for func, name, _ in model_admin._get_base_actions()}[action]
    needed = {"view", *func.allowed_permissions}
    user = create_user(email="doer@tekup.dk", name="Doer", password="a-long-test-passw0rd", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label=model._meta.app_label,
            codename__in=[f"{p}_{model._meta.model_name}" for p in needed],
        )
    )
    request = RequestFactory().get("/")
    request.user = type(user).objects.get(pk=user.pk)
    if action not in model_admin.get_actions(request):
        # An admin that is read-only (audit tables, caches) offers no delete even to holders.
        assert action == "delete_selected" and not model_admin.has_delete_permission(request)
        return
    client.force_login(user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    response = client.post(url, {"action": action, "_selected_action": [obj.pk], "index": 0}, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]] if response.context else []
    assert "No action selected." not in messages
    if action == "delete_selected":  # the confirmation page: the action ran as far as asking
        assert b"<title>Delete multiple objects" in response.content
