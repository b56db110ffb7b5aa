"""import_prisma against real Prisma-built databases: each fixture schema loaded into a second database
on the same server, rows inserted with plain SQL as the old TypeScript services wrote them (cuids,
camelCase, floats with three decimals, plaintext keys, vectors), then imported here."""

import datetime as dt
import uuid
from decimal import Decimal
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from pgvector.django import CosineDistance

from billy.models import Organization, ToolAuditLog, UsageMetric
from crm.models import Contact, Deal, DealProduct
from flow.models import Variable, Workflow
from operations import pg
from operations.prisma_import import import_prisma, migrated_id
from renos.models import ChatMessage, Customer, Invoice, InvoiceCounter, InvoiceLineItem, Lead
from shared import crypto
from shared.models import User
from vault.models import Document, Embedding

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "prisma"
UTC = dt.UTC

pytestmark = pytest.mark.django_db


def _params():
    params = pg.connection_params()
    return {key: params[key] for key in ("host", "port", "user", "password") if key in params}


def _url(dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(**_params(), dbname=dbname)


@pytest.fixture(scope="session")
def prisma_templates(django_db_setup, django_db_blocker):
    """One template database per fixture schema, loaded once per test session."""
    names = {}
    with django_db_blocker.unblock():
        admin = pg.connect(dbname="postgres")
        for kind in ("seed-era", "latest"):
            name = f"prisma_template_{kind.replace('-', '_')}"
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
            with psycopg.connect(_url(name), autocommit=True) as conn:
                conn.execute((FIXTURES / f"{kind}-schema.sql").read_text())
            names[kind] = name
        yield names
        for name in names.values():
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


class Source:
    """A fresh Prisma-built database for one test."""

    def __init__(self, template: str, name: str):
        self.name = name
        admin = pg.connect(dbname="postgres")
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        admin.close()
        self.url = _url(name)
        # Client-side binding: the inserts are several statements in one call, with parameters.
        self.conn = psycopg.connect(self.url, autocommit=True, cursor_factory=psycopg.ClientCursor)

    def sql(self, statement: str, params=None):
        return self.conn.execute(statement, params)

    def snapshot(self) -> dict:
        """Every row of every table, as text: to prove the import leaves the source unchanged."""
        tables = self.sql(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname IN ('shared','vault','billy','renos','crm','flow') ORDER BY 1"
        ).fetchall()
        return {
            table: self.sql(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
            ).fetchone()[0]
            for (table,) in tables
        }

    def drop(self):
        self.conn.close()
        admin = pg.connect(dbname="postgres")
        admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        admin.close()


@pytest.fixture
def seed_era(prisma_templates):
    source = Source(prisma_templates["seed-era"], "prisma_source_seed_era")
    yield source
    source.drop()


@pytest.fixture
def latest(prisma_templates):
    source = Source(prisma_templates["latest"], "prisma_source_latest")
    yield source
    source.drop()


VECTOR = [round(0.001 * i, 3) for i in range(1536)]
ORG_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
DOC_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
USER_ID = uuid.UUID("33333333-3333-4333-8333-333333333333")


def insert_as_the_old_services_did(source: Source) -> None:
    source.sql(
        """
        INSERT INTO shared.users (id, email, name, updated_at)
        VALUES (%(user)s, 'Mette@Tekup.dk', 'Mette', '2025-10-01 08:00+00');
        INSERT INTO vault.documents (id, source, repository, path, content, metadata, sha, updated_at)
        VALUES (%(doc)s, 'github', 'tekup/renos', 'README.md', 'Hej verden', '{"lang": "da"}', 'abc',
                '2025-10-02 09:00+00');
        INSERT INTO vault.embeddings (id, document_id, embedding, updated_at)
        VALUES (gen_random_uuid(), %(doc)s, %(vector)s::vector, now());
        INSERT INTO billy.organizations (id, name, billy_api_key, billy_organization_id, updated_at)
        VALUES (%(org)s, 'Rendetalje', 'billy-plaintext-key-42', 'org-1', now());
        INSERT INTO billy.audit_logs (id, organization_id, tool_name, action, success, ip_address)
        VALUES (gen_random_uuid(), %(org)s, 'list_invoices', 'read', true, '10.0.0.7');
        INSERT INTO billy.usage_metrics (id, organization_id, date, hour, tool_name, call_count,
                                         avg_duration_ms, cache_hit_rate)
        VALUES (gen_random_uuid(), %(org)s, '2025-10-01', 13, 'list_invoices', 4, 120, 50.125);
        INSERT INTO renos.customers (id, name, email, tags, total_revenue, updated_at)
        VALUES ('cm3x9k2l40000qz8h1v2b3c4d', 'Karen Jensen', 'karen@example.dk', '{vip}', 1234.565,
                '2025-10-03 10:00+00');
        INSERT INTO renos.leads (id, customer_id, name, square_meters, estimated_value, status, score,
                                 priority, updated_at)
        VALUES ('cm3x9k2l40001qz8h1v2b3c4d', 'cm3x9k2l40000qz8h1v2b3c4d', 'Karen', 85.125, 2500.994,
                'new', 40, 'high', now());
        INSERT INTO renos.invoices (id, invoice_number, customer_id, customer_name, issue_date, due_date,
                                    status, subtotal, vat_rate, vat_amount, total, updated_at)
        VALUES ('cm3x9k2l40002qz8h1v2b3c4d', '2025-0041', 'cm3x9k2l40000qz8h1v2b3c4d', 'Karen Jensen',
                '2025-10-01 00:00+00', '2025-10-15 00:00+00', 'sent', 100.005, 25, 25.0, 125.005, now());
        INSERT INTO renos.invoice_line_items (id, invoice_id, description, quantity, unit_price, amount,
                                              updated_at)
        VALUES ('cm3x9k2l40003qz8h1v2b3c4d', 'cm3x9k2l40002qz8h1v2b3c4d', 'Cleaning', 1.5, 99.995, 150.0,
                now());
        INSERT INTO renos.chat_sessions (id, "userId", channel, updated_at)
        VALUES ('cm3x9k2l40004qz8h1v2b3c4d', 'user-7', 'web', now());
        INSERT INTO renos.chat_messages (id, session_id, role, content, timestamp)
        VALUES ('cm3x9k2l40005qz8h1v2b3c4d', 'cm3x9k2l40004qz8h1v2b3c4d', 'user', 'Hej',
                '2025-10-04 12:00+00');
        INSERT INTO crm."CrmContact" (id, "firstName", "lastName", email, "linkedIn", status, "createdAt",
                                      "updatedAt")
        VALUES ('clx1contact', 'Ole', 'Hansen', 'ole@example.dk', 'in/ole', 'active',
                '2025-10-05 14:30:00', '2025-10-05 14:30:00');
        INSERT INTO crm."CrmDeal" (id, title, value, stage, owner, "contactId", status, "expectedCloseDate",
                                   "updatedAt")
        VALUES ('clx1deal', 'Kontor', 10000.125, 'proposal', 'jonas', 'clx1contact', 'open',
                '2025-12-01 00:00:00', now());
        INSERT INTO crm."CrmDealProduct" (id, "dealId", "productName", quantity, "unitPrice", discount,
                                          total)
        VALUES ('clx1product', 'clx1deal', 'Rengøring', 2, 500.005, 0, 1000.015);
        INSERT INTO flow."FlowWorkflow" (id, name, status, trigger, nodes, edges, owner, "updatedAt")
        VALUES ('clx1flow', 'Velkomst', 'active', '{}', '[]', '[]', 'jonas', now());
        INSERT INTO flow."FlowVariable" (id, "workflowId", key, value, "isSecret", "updatedAt")
        VALUES ('clx1var', 'clx1flow', 'token', 'flow-plaintext-secret', true, now()),
               ('clx2var', 'clx1flow', 'greeting', 'Hej', false, now());
        """,
        {"user": USER_ID, "doc": DOC_ID, "org": ORG_ID, "vector": str(VECTOR)},
    )


def _assert_users_and_vault_arrived() -> None:
    user = User.objects.get(pk=USER_ID)  # uuids kept
    assert (user.email, user.name, user.has_usable_password()) == ("Mette@Tekup.dk", "Mette", False)
    document = Document.objects.get(pk=DOC_ID)
    assert (document.path, document.metadata, document.updated_at) == (
        "README.md",
        {"lang": "da"},
        dt.datetime(2025, 10, 2, 9, tzinfo=UTC),
    )
    embedding = Embedding.objects.get(document=document)
    assert [round(float(x), 3) for x in embedding.embedding] == VECTOR
    assert embedding.content_hash == document.content_hash  # counts as fresh


def _assert_billy_arrived() -> None:
    organization = Organization.objects.get(pk=ORG_ID)
    assert "plaintext" not in organization.billy_api_key
    assert crypto.decrypt(organization.billy_api_key) == "billy-plaintext-key-42"
    assert str(ToolAuditLog.objects.get(organization=organization).ip_address) == "10.0.0.7"
    assert UsageMetric.objects.get(organization=organization).cache_hit_rate == Decimal("50.13")


def _assert_renos_arrived() -> None:
    customer = Customer.objects.get(pk=migrated_id("renos", "customers", "cm3x9k2l40000qz8h1v2b3c4d"))
    assert customer.pk == uuid.uuid5(uuid.NAMESPACE_URL, "prisma:renos.customers:cm3x9k2l40000qz8h1v2b3c4d")
    assert (customer.total_revenue, customer.tags) == (Decimal("1234.57"), ["vip"])  # half up
    lead = Lead.objects.get(pk=migrated_id("renos", "leads", "cm3x9k2l40001qz8h1v2b3c4d"))
    assert (lead.customer_id, lead.square_meters, lead.estimated_value) == (
        customer.pk,
        Decimal("85.13"),
        Decimal("2500.99"),
    )
    invoice = Invoice.objects.get(invoice_number="2025-0041")
    assert (invoice.customer_id, invoice.subtotal, invoice.total, invoice.issue_date) == (
        customer.pk,
        Decimal("100.01"),
        Decimal("125.01"),
        dt.date(2025, 10, 1),
    )
    line = InvoiceLineItem.objects.get(invoice=invoice)
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal("1.50"),
        Decimal("100.00"),
        Decimal("150.00"),
    )
    assert InvoiceCounter.objects.get(year=2025).last_number == 41
    message = ChatMessage.objects.get()
    assert message.session.user_id == "user-7"
    assert message.timestamp == dt.datetime(2025, 10, 4, 12, tzinfo=UTC)


def _assert_crm_arrived() -> None:
    contact = Contact.objects.get(pk=migrated_id("crm", "CrmContact", "clx1contact"))
    assert (contact.first_name, contact.last_name, contact.linkedin) == ("Ole", "Hansen", "in/ole")
    assert contact.created_at == dt.datetime(2025, 10, 5, 14, 30, tzinfo=UTC)  # naive read as UTC
    deal = Deal.objects.get(pk=migrated_id("crm", "CrmDeal", "clx1deal"))
    assert (deal.contact_id, deal.value, deal.expected_close_date) == (
        contact.pk,
        Decimal("10000.13"),
        dt.date(2025, 12, 1),
    )
    product = DealProduct.objects.get(deal=deal)
    assert (product.quantity, product.unit_price, product.total) == (
        Decimal("2"),
        Decimal("500.01"),
        Decimal("1000.02"),
    )


def _assert_flow_arrived() -> None:
    workflow = Workflow.objects.get(pk=migrated_id("flow", "FlowWorkflow", "clx1flow"))
    secret = Variable.objects.get(workflow=workflow, key="token")
    assert secret.is_secret and crypto.decrypt(secret.value) == "flow-plaintext-secret"
    assert Variable.objects.get(workflow=workflow, key="greeting").value == "Hej"


def test_every_mapped_value_arrives_as_this_project_stores_it(seed_era):
    insert_as_the_old_services_did(seed_era)
    before = seed_era.snapshot()

    report = import_prisma(seed_era.url)

    assert report.ok, [(t.table, t.error) for t in report.tables if t.error]
    assert report.refusals == []
    assert seed_era.snapshot() == before
    _assert_users_and_vault_arrived()
    _assert_billy_arrived()
    _assert_renos_arrived()
    assert report.invoice_counters == {2025: 41}
    _assert_crm_arrived()
    _assert_flow_arrived()

    by_table = {t.table: t for t in report.tables}
    assert (by_table["renos.invoices"].imported, by_table["renos.invoices"].rounded) == (1, 2)
    assert by_table["renos.customers"].rounded == 1
    assert sum(t.source_rows for t in report.tables) == sum(t.imported for t in report.tables) == 18


def _vector_indexes() -> list[tuple[str, str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisvalid FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam "
            "WHERE x.indrelid = 'vault.embeddings'::regclass AND a.amname IN ('hnsw', 'ivfflat') ORDER BY 1"
        )
        return cursor.fetchall()


def test_the_vector_index_is_built_after_the_load_and_finds_the_imported_embeddings(seed_era):
    insert_as_the_old_services_did(seed_era)
    indexes = _vector_indexes()
    assert indexes and all(valid for *_, valid in indexes)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '64MB'")  # a server with the default

    report = import_prisma(seed_era.url)

    assert report.ok
    assert _vector_indexes() == indexes  # dropped for the load, built again exactly as it was
    with connection.cursor() as cursor:
        cursor.execute("SHOW maintenance_work_mem")  # the build's memory was raised for the build only
        assert cursor.fetchone()[0] == "64MB"
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM vault.embeddings ORDER BY embedding <=> %s::vector LIMIT 1", [str(VECTOR)]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan" in plan and indexes[0][0] in plan
    document_ids = list(
        Embedding.objects.order_by(CosineDistance("embedding", VECTOR)).values_list("document", flat=True)[:1]
    )
    assert document_ids == [DOC_ID]


def test_refusals_are_listed_and_a_dry_run_finds_them_all_without_writing(seed_era):
    seed_era.sql(
        """
        INSERT INTO renos.customers (id, name, status, updated_at) VALUES
            ('c-ok', 'Good', 'active', now()),
            ('c-status', 'Odd status', 'vip', now()),
            ('c-long', repeat('x', 300), 'active', now());
        INSERT INTO renos.invoices (id, invoice_number, customer_id, customer_name, issue_date, due_date,
                                    subtotal, vat_amount, total, updated_at) VALUES
            ('i-ok', '2024-0007', 'c-ok', 'Good', now(), now(), 8, 2, 10, now()),
            ('i-orphan', '2024-0008', 'c-gone', 'Gone', now(), now(), 8, 2, 10, now());
        INSERT INTO flow."FlowWorkflow" (id, name, trigger, nodes, edges, owner, "updatedAt")
        VALUES ('w', 'W', '{}', '[]', '[]', 'o', now());
        INSERT INTO flow."FlowVariable" (id, "workflowId", key, value, "isSecret", encrypted, "updatedAt")
        VALUES ('v-old-key', 'w', 'k', 'Zm9vYmFy', true, true, now());
        """
    )
    expected = {
        ("renos.customers", "c-status"),
        ("renos.customers", "c-long"),
        ("renos.invoices", "i-orphan"),
        ("flow.variables", "v-old-key"),
    }

    dry = import_prisma(seed_era.url, dry_run=True)

    assert {(r.table, r.source_id) for r in dry.refusals} == expected
    assert dry.ok and dry.changed == 3  # a customer, an invoice, a workflow
    assert not Customer.objects.exists() and not Invoice.objects.exists() and not Workflow.objects.exists()

    report = import_prisma(seed_era.url)

    reasons = {r.source_id: r.reason for r in report.refusals}
    assert {(r.table, r.source_id) for r in report.refusals} == expected
    assert reasons["c-status"].startswith("status 'vip' is not one of: active, inactive")
    assert "too long" in reasons["c-long"]
    assert "customer_id" in reasons["i-orphan"] and "not present" in reasons["i-orphan"]
    assert "encrypted by the old service" in reasons["v-old-key"]
    assert list(Customer.objects.values_list("name", flat=True)) == ["Good"]
    assert list(Invoice.objects.values_list("invoice_number", flat=True)) == ["2024-0007"]
    by_table = {t.table: t for t in report.tables}
    assert (by_table["renos.customers"].imported, by_table["renos.customers"].refused) == (1, 2)
    assert report.ok


def test_a_second_run_changes_nothing_and_a_later_one_brings_exactly_the_new_rows(seed_era):
    insert_as_the_old_services_did(seed_era)
    first = import_prisma(seed_era.url)
    assert first.changed == 18

    again = import_prisma(seed_era.url)

    assert again.refusals == []
    assert again.changed == 0 and again.ok
    assert sum(t.unchanged for t in again.tables) == 18
    key_token = Organization.objects.get(pk=ORG_ID).billy_api_key

    seed_era.sql(
        """
        INSERT INTO renos.customers (id, name, updated_at) VALUES ('cm-new', 'New customer', now());
        UPDATE crm."CrmContact" SET "lastName" = 'Hansen-Berg', "updatedAt" = '2025-11-01 09:00:00';
        """
    )
    later = import_prisma(seed_era.url)

    changed = {(t.table, t.imported, t.updated) for t in later.tables if t.imported or t.updated}
    assert changed == {("renos.customers", 1, 0), ("crm.contacts", 0, 1)}
    assert Contact.objects.get().last_name == "Hansen-Berg"
    assert Customer.objects.filter(pk=migrated_id("renos", "customers", "cm-new")).exists()
    assert Organization.objects.get(pk=ORG_ID).billy_api_key == key_token  # the same key is not re-sealed


def test_users_whose_emails_differ_by_case_are_reported_and_one_is_kept(seed_era):
    seed_era.sql(
        """
        INSERT INTO shared.users (id, email, name, created_at, updated_at) VALUES
            (gen_random_uuid(), 'Jonas@Tekup.dk', 'Jonas', '2025-01-01', now()),
            (gen_random_uuid(), 'jonas@tekup.dk', 'Jonas again', '2025-02-01', now());
        """
    )

    report = import_prisma(seed_era.url, only=["shared"])

    assert [email for email, _ in report.email_case_duplicates] == ["jonas@tekup.dk"]
    assert len(report.refusals) == 1 and "users_email_ci" in report.refusals[0].reason
    assert User.objects.filter(email__iexact="jonas@tekup.dk").count() == 1
    assert sorted(t.table for t in report.tables) == ["shared.audit_logs", "shared.users"]


def test_the_latest_schema_imports_and_lists_the_tables_with_no_home(latest):
    latest.sql(
        """
        INSERT INTO renos.chat_sessions (id, user_id, organization_id, context, updated_at)
        VALUES ('s1', 'user-9', 'org', 'ctx', now());
        INSERT INTO renos.chat_messages (id, session_id, role, content, created_at)
        VALUES ('m1', 's1', 'user', 'Hej', '2025-10-29 10:00+00');
        INSERT INTO renos.users (id, email, name, password_hash, updated_at)
        SELECT 'u' || n, 'u' || n || '@x.dk', 'User', 'bcrypt', now() FROM generate_series(1, 3) n;
        INSERT INTO renos.team_members (id, user_id, employee_id, updated_at)
        SELECT 't' || n, 'u' || n, 'e' || n, now() FROM generate_series(1, 3) n;
        """
    )

    report = import_prisma(latest.url)

    assert report.ok
    unknown = dict(report.unknown_tables)
    assert unknown["renos.team_members"] == 3 and unknown["renos.users"] == 3 and len(unknown) == 19
    message = ChatMessage.objects.get()
    assert (message.session.user_id, message.timestamp) == (
        "user-9",
        dt.datetime(2025, 10, 29, 10, tzinfo=UTC),
    )
    chat = {t.table: t.unmapped_columns for t in report.tables}["renos.chat_sessions"]
    assert chat == ["context", "metadata", "organization_id", "title"]


def test_the_command_prints_the_report_and_says_when_nothing_changed(seed_era):
    insert_as_the_old_services_did(seed_era)
    out = StringIO()
    call_command("import_prisma", "--source", seed_era.url, stdout=out)
    assert "renos.invoices" in out.getvalue() and "Imported: 18 rows written." in out.getvalue()
    assert "Invoice numbers continue after: 2025: 41" in out.getvalue()

    out = StringIO()
    call_command("import_prisma", "--source", seed_era.url, "--dry-run", stdout=out)
    assert "Dry run: nothing written (0 rows would change)." in out.getvalue()

    out = StringIO()
    call_command("import_prisma", "--source", seed_era.url, stdout=out)
    assert "Nothing changed" in out.getvalue()


def test_the_command_refuses_an_unreachable_source_and_this_projects_own_database():
    with pytest.raises(CommandError, match="cannot connect to the source") as error:
        call_command("import_prisma", "--source", _url("no_such_database"))
    assert error.value.returncode == 1
    from django.db import connection

    with pytest.raises(CommandError, match="django_migrations"):
        call_command("import_prisma", "--source", _url(connection.settings_dict["NAME"]))
