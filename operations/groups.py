"""The staff groups of the admin: one per schema, read-only auditors, and `sql` (the SQL tool).

A schema group may add, change, delete and view every model of its schema, except audit tables,
which it may only view (the system writes them). Auditors may view every model of the project and
change none. Membership of `sql` opens the SQL tool (operations.console.sqltool); it carries no
model permission.
`setup_groups()` is idempotent: it sets each group's permissions to exactly these, so
running it again after a migration adds the new models' permissions and removes stale ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from shared.admin_base import is_audit_table

AUDITORS = "auditors"
SQL = "sql"  # the name operations.console.sqltool.SQL_GROUP checks
SCHEMA_GROUPS = {
    "vault editors": "vault",
    "billy operators": "billy",
    "renos staff": "renos",
    "crm staff": "crm",
    "flow operators": "flow",
}


@dataclass
class GroupResult:
    name: str
    created: bool
    permissions: int


def schema_group_permissions(app_label: str) -> list[Permission]:
    """Full rights on the app's models; view only on its audit tables."""
    permissions = []
    for model in apps.get_app_config(app_label).get_models():
        codenames = ["view"] if is_audit_table(model) else ["add", "change", "delete", "view"]
        permissions += [f"{action}_{model._meta.model_name}" for action in codenames]
    return list(
        Permission.objects.filter(content_type__app_label=app_label, codename__in=permissions).order_by(
            "codename"
        )
    )


def auditor_permissions() -> list[Permission]:
    """View permission on every model of every installed app."""
    return list(Permission.objects.filter(codename__startswith="view_").order_by("codename"))


def setup_groups() -> list[GroupResult]:
    """Create or update the groups; returns what each now holds."""
    for config in apps.get_app_configs():  # permissions of models migrated without post_migrate
        create_permissions(config, verbosity=0)
    wanted = {name: schema_group_permissions(label) for name, label in SCHEMA_GROUPS.items()}
    wanted[AUDITORS] = auditor_permissions()
    wanted[SQL] = []
    results = []
    with transaction.atomic():
        for name, permissions in wanted.items():
            group, created = Group.objects.get_or_create(name=name)
            group.permissions.set(permissions)
            results.append(GroupResult(name=name, created=created, permissions=len(permissions)))
    return results
