"""The database audit (shared.audit): every write to an audited table leaves one entry, whoever wrote it,
with the actor, the changed columns before → after, secrets and vectors recorded as "changed"."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from billy.factories import OrganizationFactory
from billy.models import CachedInvoice, Organization
from billy.services import create_organization
from crm.factories import CompanyFactory, ContactFactory
from crm.models import Company, Contact
from flow.factories import WorkflowFactory
from flow.models import Variable, Webhook
from flow.services import create_webhook, set_variable
from shared import audit
from shared.apps_base import schema_names
from shared.models import AuditLog, User
from shared.services import acting_as, audit_trail, create_user, summarised_audit
from tests.support.concurrency import run_together
from vault.factories import EmbeddingFactory
from vault.models import Embedding

pytestmark = pytest.mark.django_db


def entries(model, pk):
    return audit_trail(model=model, pk=pk)


def test_insert_update_delete_are_recorded_with_the_changed_columns_only():
    company = CompanyFactory(name="Old name", city="Aarhus")
    company.name = "New name"
    company.save()
    company_id = company.pk
    company.delete()

    deleted, updated, inserted = entries(Company, company_id)
    assert [inserted.action, updated.action, deleted.action] == ["insert", "update", "delete"]
    assert inserted.changes["name"] == [None, "Old name"] and inserted.changes["city"] == [None, "Aarhus"]
    assert updated.changes["name"] == ["Old name", "New name"]
    assert "city" not in updated.changes  # unchanged columns are left out
    assert deleted.changes["name"] == ["New name", None]
    assert inserted.at <= updated.at <= deleted.at and inserted.at.tzinfo is not None


def test_an_update_that_changes_nothing_but_updated_at_is_not_recorded():
    company = CompanyFactory()
    company.save()  # auto_now moves updated_at, nothing else
    assert [e.action for e in entries(Company, company.pk)] == ["insert"]


def test_plain_sql_writes_are_recorded_as_the_database_role():
    company = CompanyFactory()
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "crm"."companies" SET name = %s WHERE id = %s', ["By SQL", company.pk])
        cursor.execute("SELECT session_user")
        role = cursor.fetchone()[0]

    newest = entries(Company, company.pk)[0]
    assert newest.actor == f"sql:{role}" and newest.changes["name"][1] == "By SQL"


def test_writes_inside_acting_as_carry_the_user_and_keep_the_email_after_the_user_is_deleted():
    clerk = create_user(email="clerk@tekup.dk", name="Clerk")
    with acting_as(clerk):
        company = CompanyFactory()  # in autocommit: the setting travels with the statement
        with transaction.atomic():
            Company.objects.filter(pk=company.pk).update(name="Renamed")
    clerk_id = clerk.pk
    clerk.delete()

    assert [(e.actor, e.actor_id) for e in entries(Company, company.pk)] == [("clerk@tekup.dk", clerk_id)] * 2
    # Outside the block the actor is gone again, and nothing leaked into the pooled session.
    Company.objects.filter(pk=company.pk).update(name="Later")
    assert entries(Company, company.pk)[0].actor.startswith("sql:")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(current_setting('tekup.actor', true), '')")
        assert cursor.fetchone()[0] == ""


def test_a_database_cascade_is_recorded_for_every_removed_row():
    company = CompanyFactory()
    contact = ContactFactory(company=company)
    with connection.cursor() as cursor:  # plain SQL: the database's own ON DELETE, no Django collector
        cursor.execute('DELETE FROM "crm"."contacts" WHERE id = %s', [contact.pk])
        cursor.execute('DELETE FROM "crm"."companies" WHERE id = %s', [company.pk])
    assert entries(Contact, contact.pk)[0].action == "delete"
    assert entries(Company, company.pk)[0].action == "delete"


def test_encrypted_columns_are_recorded_as_changed_never_with_a_value():
    organization = create_organization(
        name="Org", billy_api_key="sk-live-VERY-SECRET-1", billy_organization_id="org-1"
    )
    stored = Organization.objects.get(pk=organization.pk).billy_api_key
    inserted = entries(Organization, organization.pk)[0]
    assert inserted.changes["billy_api_key"] == [None, audit.CHANGED]
    text = str(AuditLog.objects.filter(table_name="organizations").values_list("changes", flat=True)[::1])
    assert "VERY-SECRET" not in text and stored not in text

    workflow = WorkflowFactory()
    hook = create_webhook(workflow=workflow, name="h", url="https://example.com/h1", secret="hook-secret-xyz")
    assert entries(Webhook, hook.pk)[0].changes["secret"] == [None, audit.CHANGED]


def test_a_variable_named_like_a_key_shows_its_key_and_only_secret_values_are_masked():
    plain = set_variable(key="api_key", value="visible-value")
    secret = set_variable(key="token", value="hidden-value", is_secret=True)

    plain_entry = entries(Variable, plain.pk)[0]
    assert plain_entry.changes["key"] == [None, "api_key"]
    assert plain_entry.changes["value"][1] is not None and "visible-value" in str(
        plain_entry.changes["value"]
    )
    secret_entry = entries(Variable, secret.pk)[0]
    assert secret_entry.changes["key"] == [None, "token"]
    assert secret_entry.changes["value"] == [None, audit.CHANGED]
    assert "hidden-value" not in str(AuditLog.objects.values_list("changes", flat=True)[::1])


def test_an_embedding_vector_is_recorded_as_changed():
    embedding = EmbeddingFactory()
    changes = entries(Embedding, embedding.pk)[0].changes
    assert changes["embedding"] == [None, audit.CHANGED]
    assert changes["model"] == [None, embedding.model]


def test_exempt_tables_write_no_audit_and_the_list_says_why():
    organization = OrganizationFactory()
    before = AuditLog.objects.count()
    CachedInvoice.objects.create(
        organization=organization, billy_id="inv-1", data={}, expires_at="2030-01-01T00:00:00Z"
    )
    assert AuditLog.objects.count() == before
    assert all(reason for reason in audit.EXEMPT_TABLES.values())
    assert audit.table_key(CachedInvoice) in audit.EXEMPT_TABLES


def test_every_table_of_the_six_schemas_has_the_audit_trigger_unless_exempt():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname || '.' || c.relname,
                   bool_or(t.tgname ~ '^pgtrigger_audit_[0-9a-f]{5}$' OR t.tgname ~ '^audit_users_')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(%s)
            GROUP BY 1
            """,
            [schema_names()],
        )
        tables = dict(cursor.fetchall())
    missing = sorted(t for t, has in tables.items() if not has and t not in audit.EXEMPT_TABLES)
    assert missing == []
    assert sorted(t for t, has in tables.items() if has and t in audit.EXEMPT_TABLES) == []
    assert "shared.users_groups" in tables and tables["shared.users_groups"]


def test_group_membership_is_audited_by_the_hand_written_many_to_many_triggers():
    from django.contrib.auth.models import Group

    user = create_user(email="member@tekup.dk", name="M")
    user.groups.add(Group.objects.create(name="g"))
    newest = AuditLog.objects.filter(table_name="users_groups").first()
    assert newest.action == "insert" and newest.changes["user_id"] == [None, str(user.pk)]


def test_a_summarised_load_writes_one_entry_per_statement_not_per_row():
    clerk = create_user(email="loader@tekup.dk", name="Loader")
    before = AuditLog.objects.count()
    with acting_as(clerk), summarised_audit("test-load"):
        Company.objects.bulk_create([Company(name=f"C{i}", country="Denmark") for i in range(50)])
        Company.objects.filter(name__startswith="C").update(city="Odense")
    added = list(AuditLog.objects.order_by("created_at")[before:])
    assert [(e.action, e.table_name, e.metadata["bulk"], e.actor) for e in added] == [
        ("insert", "companies", "test-load", "loader@tekup.dk"),
        ("update", "companies", "test-load", "loader@tekup.dk"),
    ]
    CompanyFactory()  # after the block, rows are audited one by one again
    assert AuditLog.objects.count() == before + 3


def test_a_failed_summarised_load_leaves_no_setting_behind():
    with pytest.raises(RuntimeError), summarised_audit("boom"):
        raise RuntimeError("stop")
    company = CompanyFactory()
    assert [e.action for e in entries(Company, company.pk)] == ["insert"]


def test_actors_of_concurrent_threads_do_not_mix(transactional_db):
    users = [create_user(email=f"t{i}@tekup.dk", name=f"T{i}") for i in range(4)]

    def work(user):
        with acting_as(user):
            for n in range(5):
                Company.objects.create(name=f"{user.email}-{n}", country="Denmark")

    run_together([lambda u=u: work(u) for u in users])
    for company in Company.objects.all():
        assert entries(Company, company.pk)[0].actor == company.name.rsplit("-", 1)[0]
    Company.objects.all().delete()
    AuditLog.objects.all().delete()
    User.objects.all().delete()


def test_audit_trail_needs_an_instance_or_a_model_and_key():
    with pytest.raises(ValidationError, match="instance, or a model and a primary key"):
        audit_trail()
    with pytest.raises(ValidationError, match="instance, or a model and a primary key"):
        audit_trail(model=Company)
    with pytest.raises(ValidationError, match="not both"):
        audit_trail(instance=CompanyFactory(), model=Company, pk=1)
    with pytest.raises(ValidationError, match="limit"):
        audit_trail(model=Company, pk=1, limit=0)


def test_audit_trail_by_instance_is_newest_first_and_limited():
    company = CompanyFactory(name="v0")
    for n in range(1, 4):
        Company.objects.filter(pk=company.pk).update(name=f"v{n}")
    trail = audit_trail(instance=company, limit=2)
    assert [e.changes["name"][1] for e in trail] == ["v3", "v2"]
    assert all(isinstance(e.actor, str) for e in trail)


def test_acting_as_refuses_what_is_not_a_user():
    with pytest.raises(ValidationError, match="shared.User"), acting_as("someone@tekup.dk"):
        pass
