"""shared's demo data (shared.demo) is made by shared's factories, and their rules hold in the seeded rows."""

import datetime as dt

from operations.seeding import run_seed
from shared import demo
from shared.factories import AuditLogFactory, UserFactory
from shared.models import AuditLog, User
from shared.seeding import SeedContext
from tests.support.built import models_built_by

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def test_users_and_audit_entries_are_made_by_their_factories(db, monkeypatch):
    built_models = models_built_by(monkeypatch, demo)
    run_seed(size="small", apps=["shared"], now=NOW)

    assert built_models == [User, AuditLog]


def test_the_factories_rules_hold_in_the_seeded_rows(db):
    run_seed(size="small", apps=["shared"], now=NOW)

    users = User.objects.filter(email__endswith=f"@{demo.DEMO_DOMAIN}")
    assert users.count() == 10
    assert not any(user.has_usable_password() for user in users)  # demo users cannot log in
    entries = AuditLog.objects.filter(metadata__seed=True)
    row_changes = entries.exclude(table_name="")
    assert row_changes.count() == entries.count() // 5
    # The trigger's shape: the resource type names the table.
    for entry in row_changes:
        assert entry.resource_type == f"{entry.schema_name}.{entry.table_name}"
        assert entry.action in {"insert", "update", "delete"}
    assert not entries.filter(table_name="").exclude(schema_name="").exists()


def test_the_factories_for_tests():
    user = UserFactory.build()
    change = AuditLogFactory.build(row_change=True, schema_name="crm", table_name="deals", action="delete")
    event = AuditLogFactory.build(action="export", resource_type="report")

    assert user.email.endswith("@example.com") and not user.has_usable_password()
    assert (change.resource_type, change.action) == ("crm.deals", "delete")
    assert (event.resource_type, event.schema_name, event.table_name) == ("report", "", "")


def test_the_staff_emails_leave_the_callers_factories_on_its_own_seed():
    """crm and flow ask for shared's staff first; shared's context must not reseed their factories."""

    def names(*, asking_for_staff: bool) -> list[str]:
        ctx = SeedContext(app="crm", size="small", random_seed=3)
        if asking_for_staff:
            assert demo.staff_emails(ctx)
        return [UserFactory.build().name for _ in range(3)]

    assert names(asking_for_staff=True) == names(asking_for_staff=False)
