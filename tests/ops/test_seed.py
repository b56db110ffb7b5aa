import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from operations.seeding import run_seed, seedable_apps
from shared.models import AuditLog, User
from shared.seeding import table_of
from shared.services import create_user


def _table_digests() -> dict[str, tuple[int, str]]:
    """Row count and content digest of every seedable app's tables (encrypted secrets left out: their
    random nonces differ on every run, by design)."""
    from django.apps import apps

    digests = {}
    with connection.cursor() as cursor:
        for label in seedable_apps():
            for model in apps.get_app_config(label).get_models():
                schema, table = table_of(model)
                row = "(to_jsonb(t) - 'billy_api_key' - 'secret')"
                if (schema, table) == ("flow", "variables"):
                    row = f"(CASE WHEN t.is_secret THEN {row} - 'value' ELSE {row} END)"
                # The audit's own entries (of the seed's statements) are not seeded rows.
                seeded = " WHERE t.metadata @> '{\"seed\": true}'" if model is AuditLog else ""
                cursor.execute(
                    f"SELECT count(*), md5(coalesce(string_agg({row}::text, '|' ORDER BY t.id), '')) "
                    f'FROM "{schema}"."{table}" t{seeded}'
                )
                digests[f"{schema}.{table}"] = cursor.fetchone()
    return digests


# One moment for the tests that compare two runs (the default, the current hour, could turn between them).
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def test_small_seed_fills_every_seedable_app_and_twice_adds_nothing(db, capsys):
    call_command("seed", "--now", NOW.isoformat())
    first = _table_digests()
    assert "shared" in seedable_apps()
    assert first["shared.users"][0] == 10 and first["shared.audit_logs"][0] == 50
    assert all(count > 0 for count, _ in first.values()), first
    out = capsys.readouterr().out
    assert "Seeded shared" in out
    call_command("seed", "--now", NOW.isoformat())
    assert _table_digests() == first
    assert " 0 new rows" in capsys.readouterr().out
    # The seed's writes are audited one entry per statement, not one per seeded row.
    summaries = AuditLog.objects.filter(metadata__bulk="seed").count()
    assert 0 < summaries < sum(count for count, _ in first.values()) / 10


def test_the_seed_is_deterministic_and_reset_keeps_real_accounts(db):
    create_user(email="admin@tekup.dk", name="Admin", is_staff=True)
    run_seed(size="small", now=NOW, random_seed=7)
    first = _table_digests()
    run_seed(size="small", now=NOW, random_seed=7, reset=True)
    assert _table_digests() == first
    assert User.objects.filter(email="admin@tekup.dk").exists()
    run_seed(size="small", now=NOW, random_seed=8, reset=True)
    assert _table_digests()["shared.users"] != first["shared.users"]
    assert User.objects.filter(email="admin@tekup.dk").exists()


def test_seeded_relations_are_consistent(db):
    run_seed(size="small", apps=["shared"])
    assert not AuditLog.objects.filter(metadata__seed=True, actor_id__isnull=True).exists()
    assert User.objects.filter(email__endswith="@demo.tekup.example.com", is_staff=True).exists()


def test_seed_refuses_unknown_apps_and_sizes(db):
    with pytest.raises(CommandError, match="Cannot seed nope"):
        call_command("seed", "--apps", "nope")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("seed", "--size", "huge")


@pytest.mark.django_db(transaction=True)
def test_seed_as_a_process_is_fast_and_idempotent(manage):
    result = manage("seed", "--size", "small", "--now", NOW.isoformat())
    assert result.returncode == 0, result.stderr
    assert "Seeded" in result.stdout
    first = _table_digests()
    result = manage("seed", "--size", "small", "--now", NOW.isoformat())
    assert result.returncode == 0 and " 0 new rows" in result.stdout
    assert _table_digests() == first


# --- renos, crm and flow ---------------------------------------------------------------------------

APPS = ["renos", "crm", "flow"]


def _counts(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _check_deferred_foreign_keys() -> None:
    """Inside a test's transaction the (deferred) foreign keys are checked only now: a dangling
    reference raises here."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_renos_crm_flow_seed_is_deterministic_and_twice_adds_nothing(db):
    first_run = run_seed(size="small", apps=APPS, now=NOW, random_seed=11)
    # shared's dependants in INSTALLED_APPS order (AppConfig decides; no app's demo data needs another's)
    assert [result.app for result in first_run] == ["renos", "crm", "flow"]
    assert all(sum(result.inserted.values()) > 0 for result in first_run)
    first = {key: value for key, value in _table_digests().items() if key.split(".")[0] in APPS}
    assert all(count > 0 for count, _ in first.values()), first

    second_run = run_seed(size="small", apps=APPS, now=NOW, random_seed=11)
    assert {result.app: sum(result.inserted.values()) for result in second_run} == dict.fromkeys(APPS, 0)
    assert {key: value for key, value in _table_digests().items() if key in first} == first

    # The same seed into emptied tables gives the same content; another seed gives other content.
    run_seed(size="small", apps=APPS, now=NOW, random_seed=11, reset=True)
    assert {key: value for key, value in _table_digests().items() if key in first} == first
    run_seed(size="small", apps=APPS, now=NOW, random_seed=12, reset=True)
    other = _table_digests()
    assert other["renos.customers"] != first["renos.customers"]
    assert other["crm.contacts"] != first["crm.contacts"]
    assert other["flow.executions"] != first["flow.executions"]
    _check_deferred_foreign_keys()


# What the seeded renos rows must add up to, each a query counting the rows that break it (so 0 is right).
RENOS_VIOLATIONS = {
    # Every invoice: subtotal is the sum of its lines, VAT 25 % to øre, total = subtotal + VAT.
    "invoice totals": """SELECT count(*) FROM renos.invoices i
           WHERE i.subtotal <> (SELECT sum(l.amount) FROM renos.invoice_line_items l
                                WHERE l.invoice_id = i.id)
              OR i.vat_amount <> round(i.subtotal * i.vat_rate / 100, 2)
              OR i.total <> i.subtotal + i.vat_amount""",
    # Every booking belongs to an existing customer, an invoice's booking to the invoice's customer.
    "booking without customer": """SELECT count(*) FROM renos.bookings b
           LEFT JOIN renos.customers c ON c.id = b.customer_id WHERE c.id IS NULL""",
    "invoice's booking of another customer": """SELECT count(*) FROM renos.invoices i
           JOIN renos.bookings b ON b.id = i.booking_id WHERE b.customer_id <> i.customer_id""",
    # The customers' counters are what renos.services would have counted.
    "customer counters": """SELECT count(*) FROM renos.customers c
           WHERE total_bookings <> (SELECT count(*) FROM renos.bookings b WHERE b.customer_id = c.id)
              OR total_leads <> (SELECT count(*) FROM renos.leads l WHERE l.customer_id = c.id)
              OR total_revenue <> (SELECT coalesce(sum(paid_amount), 0) FROM renos.invoices i
                                   WHERE i.customer_id = c.id)""",
    # A completed booking's duration is stop - start less its breaks (rounded half up to minutes);
    # a booking on a break has exactly its one open break.
    "completed duration": """SELECT count(*) FROM renos.bookings b
           WHERE status = 'completed' AND actual_duration <> floor((
             extract(epoch FROM actual_end_time - actual_start_time)
             - coalesce((SELECT sum(extract(epoch FROM k.end_time - k.start_time)) FROM renos.breaks k
                         WHERE k.booking_id = b.id), 0) + 30) / 60)""",
    "on break without its open break": """SELECT count(*) FROM renos.bookings b
           WHERE (timer_status = 'on_break') <> EXISTS (
             SELECT 1 FROM renos.breaks k WHERE k.booking_id = b.id AND k.end_time IS NULL)""",
    # Invoice numbers: per year of issue, 0001 upwards without gaps, the counter at the highest.
    "invoice number of another year": """SELECT count(*) FROM renos.invoices
           WHERE split_part(invoice_number, '-', 1)::int <> extract(year FROM issue_date)""",
    "invoice numbers with gaps or counter behind": """SELECT count(*) FROM (
             SELECT split_part(invoice_number, '-', 1)::int AS year, count(*) AS n,
                    max(split_part(invoice_number, '-', 2)::int) AS top FROM renos.invoices GROUP BY 1) s
           LEFT JOIN renos.invoice_number_counters c ON c.year = s.year
           WHERE s.n <> s.top OR c.last_number IS DISTINCT FROM s.top""",
    # Threads count their messages; plans' bookings are their customer's.
    "thread message count": """SELECT count(*) FROM renos.email_threads t
           WHERE message_count <> (SELECT count(*) FROM renos.email_messages m WHERE m.thread_id = t.id)""",
    "plan's booking of another customer": """SELECT count(*) FROM renos.cleaning_plan_bookings pb
           JOIN renos.cleaning_plans p ON p.id = pb.plan_id JOIN renos.bookings b ON b.id = pb.booking_id
           WHERE b.customer_id <> p.customer_id""",
}


def test_seeded_renos_relations_add_up(db):
    run_seed(size="small", apps=["renos"], random_seed=3)
    _check_deferred_foreign_keys()
    from renos.models import Booking, Invoice

    assert Invoice.objects.count() > 10 and Booking.objects.count() > 30
    assert _counts("SELECT count(*) FROM renos.breaks") > 0  # or the break checks below prove nothing
    broken = {name: _counts(sql) for name, sql in RENOS_VIOLATIONS.items()}
    assert {name: rows for name, rows in broken.items() if rows} == {}


def test_create_invoice_continues_after_the_seeded_numbers(db, monkeypatch):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from renos import services
    from renos.models import Customer, Invoice, InvoiceCounter

    # A real invoice already holds number 2025-0001 when the seed comes.
    clock = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: clock)
    real_customer = Customer.objects.create(name="Rigtig Kunde", email="rigtig@example.dk")
    real = services.create_invoice(
        customer=real_customer, lines=[{"description": "Fast rengøring", "unit_price": Decimal("349.00")}]
    )
    assert real.invoice_number == "2025-0001"

    run_seed(size="small", apps=["renos"], random_seed=5)
    _check_deferred_foreign_keys()
    real.refresh_from_db()
    assert real.customer_id == real_customer.pk and real.lines.count() == 1  # untouched
    numbers = list(Invoice.objects.filter(issue_date__year=2025).values_list("invoice_number", flat=True))
    assert len(numbers) == len(set(numbers)) > 1
    top = max(int(number.split("-")[1]) for number in numbers)
    assert InvoiceCounter.objects.get(year=2025).last_number == top

    # The next invoice of 2025 follows the seeded ones; seeding again lowers nothing and adds nothing.
    customer = Customer.objects.filter(email__endswith="@kunde.example.com").first()
    following = services.create_invoice(
        customer=customer, lines=[{"description": "Vinduespudsning", "quantity": 2, "unit_price": "299.00"}]
    )
    assert following.invoice_number == f"2025-{top + 1:04d}"
    assert following.total == following.subtotal + following.vat_amount == Decimal("747.50")
    results = run_seed(size="small", apps=["renos"], random_seed=5)
    assert sum(results[0].inserted.values()) == 0
    assert InvoiceCounter.objects.get(year=2025).last_number == top + 1
    assert Invoice.objects.filter(invoice_number=following.invoice_number).count() == 1


def test_seeded_crm_rows_follow_the_pipeline_rules(db):
    from crm import services
    from crm.models import Deal

    run_seed(size="small", apps=["crm"], random_seed=4)
    _check_deferred_foreign_keys()
    assert set(Deal.objects.values_list("stage", flat=True)) == set(Deal.Stage.values)
    for deal in Deal.objects.all():
        assert deal.status == Deal.status_for_stage(deal.stage)
        assert (deal.actual_close_date is None) == (deal.status == Deal.Status.OPEN)
    # A deal with product lines is worth their sum; each line's total is the services' line total.
    assert not _counts(
        """SELECT count(*) FROM crm.deals d
           WHERE EXISTS (SELECT 1 FROM crm.deal_products p WHERE p.deal_id = d.id)
           AND value <> (SELECT sum(total) FROM crm.deal_products p WHERE p.deal_id = d.id)"""
    )
    # last_contact_at is the newest call, e-mail or meeting.
    assert not _counts(
        """SELECT count(*) FROM crm.contacts c WHERE last_contact_at IS DISTINCT FROM (
             SELECT max(occurred_at) FROM crm.activities a
             WHERE a.contact_id = c.id AND a.type IN ('call', 'email', 'meeting'))"""
    )
    deal = Deal.objects.filter(status=Deal.Status.OPEN).first()
    moved = services.move_deal(deal=deal, stage=Deal.Stage.CLOSED_WON)
    assert (moved.status, moved.probability) == (Deal.Status.WON, 100)
    product = services.add_deal_product(
        deal=moved, product_name="Trappevask", unit_price="890.00", quantity=12
    )
    assert product.total == Decimal("10680.00")


def test_seeded_flow_rows_follow_the_services(db):
    from flow import services
    from flow.models import Execution, Schedule, Variable, Webhook, Workflow
    from shared import crypto

    run_seed(size="small", apps=["flow"], random_seed=6)
    _check_deferred_foreign_keys()
    assert set(Workflow.objects.values_list("status", flat=True)) == set(Workflow.Status.values)
    assert not Execution.objects.filter(status="running").exclude(workflow__status="active").exists()
    assert not _counts(
        """SELECT count(*) FROM flow.workflows w WHERE
             execution_count <> (SELECT count(*) FROM flow.executions e
                                 WHERE e.workflow_id = w.id AND e.status <> 'running')
          OR success_count <> (SELECT count(*) FROM flow.executions e
                               WHERE e.workflow_id = w.id AND e.status = 'completed')
          OR failure_count <> (SELECT count(*) FROM flow.executions e
                               WHERE e.workflow_id = w.id AND e.status = 'failed')"""
    )
    for schedule in Schedule.objects.all():
        assert (schedule.cron_expression is None) != (schedule.interval_minutes is None)
        if schedule.cron_expression:
            services.validate_cron_expression(cron_expression=schedule.cron_expression)
        assert (schedule.next_run is not None) == schedule.is_active
    assert Schedule.objects.filter(is_active=True).exists()
    secrets = Variable.objects.filter(is_secret=True)
    assert secrets.exists()
    for variable in secrets:
        assert not variable.value.startswith("demo-")  # stored encrypted
        assert services.variable_value(variable=variable).startswith("demo-")
    assert services.variable_value(variable=Variable.objects.get(workflow=None, key="MOMS_SATS")) == 25
    webhook = Webhook.objects.first()
    assert services.webhook_secret(webhook=webhook).startswith("demo-") and crypto.mask(webhook.secret)

    workflow = Workflow.objects.filter(status="active", is_template=False).order_by("name").first()
    before = workflow.execution_count
    run = services.execute_workflow(workflow=workflow, triggered_by="test")
    services.finish_execution(execution=run, status=Execution.Status.COMPLETED)
    workflow.refresh_from_db()
    assert workflow.execution_count == before + 1


def test_vault_seed_in_chunks_smaller_than_an_embedding_batch_keeps_every_embedding(db, monkeypatch):
    # `large` loads 5,000 documents per round while embedding 64 at a time: a round can end inside a
    # batch, and the embeddings of the next round's documents must wait for them.
    from vault import demo as vault_seeder
    from vault.models import Document, Embedding

    monkeypatch.setattr(vault_seeder, "CHUNK", 30)

    run_seed(size="small", apps=["vault"])

    assert Document.objects.count() == Embedding.objects.count() == 50


# --- demo data around the day it is seeded ---------------------------------------------------------


def test_every_seeded_email_is_valid_and_on_a_reserved_domain(db):
    """Every EmailField of every model holds an address that EmailValidator accepts (so saving a seeded
    record unchanged works) on an RFC 2606 domain (so no demo address can reach anyone)."""
    from django.apps import apps
    from django.core.validators import validate_email
    from django.db import models

    run_seed(size="small", now=NOW)
    reserved = ("example.com", "example.net", "example.org", ".example")
    checked = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.EmailField):
                continue
            for address in model._default_manager.exclude(**{f"{field.name}__isnull": True}).values_list(
                field.name, flat=True
            ):
                validate_email(address)
                domain = address.rsplit("@", 1)[1]
                assert domain.endswith(reserved), f"{model.__name__}.{field.name}: {address}"
                checked += 1
    # billy users, crm companies and contacts, shared users: every EmailField with seeded rows.
    assert checked > 100


def test_seeded_data_is_laid_out_around_the_seed_moment(db):
    """The last 24 hours and the next two weeks are busy and statuses agree with time."""
    from billy.models import UsageMetric
    from flow.models import Execution
    from renos.models import Booking

    run_seed(size="small", apps=["renos", "billy", "flow"], now=NOW)
    day = dt.timedelta(days=1)
    # Nothing is still scheduled (or merely confirmed) in the past; every past job has an outcome.
    assert not Booking.objects.filter(scheduled_at__lt=NOW, status__in=["scheduled", "confirmed"]).exists()
    assert not Booking.objects.filter(status="completed", actual_end_time__gt=NOW).exists()
    # Today's work is under way, the next two weeks hold bookings on most working days.
    running = Booking.objects.filter(status="in_progress", timer_status__in=["running", "on_break"])
    assert running.exists()
    assert all(NOW - day < booking.actual_start_time < NOW for booking in running)
    upcoming = Booking.objects.filter(scheduled_at__gte=NOW, scheduled_at__lt=NOW + 14 * day)
    assert upcoming.count() >= 10
    assert len({booking.scheduled_at.date() for booking in upcoming}) >= 7
    # History reaches back about a year.
    oldest = Booking.objects.order_by("scheduled_at").first().scheduled_at
    assert NOW - 400 * day < oldest < NOW - 300 * day
    # Usage is counted in the seed's own hour, and no later.
    assert UsageMetric.objects.filter(date=NOW.date(), hour=NOW.hour).exists()
    assert not UsageMetric.objects.filter(date__gt=NOW.date()).exists()
    assert not UsageMetric.objects.filter(date=NOW.date(), hour__gt=NOW.hour).exists()
    # A running execution started minutes ago; finished ones finished before the seed's moment.
    assert all(NOW - day < run.started_at <= NOW for run in Execution.objects.filter(status="running"))
    assert not Execution.objects.filter(completed_at__gt=NOW).exists()
    assert Execution.objects.filter(started_at__gt=NOW - day).exists()


def test_seed_refuses_a_moment_that_is_no_date(db):
    with pytest.raises(CommandError, match="not an ISO date and time"):
        call_command("seed", "--now", "tomorrow")


def test_demo_staff_edits_of_the_last_day_have_the_trigger_audit_shape(db, admin_user):
    """The dashboard's "changes by staff" chart counts trigger-shaped entries made by people."""
    from operations.console import dashboard

    run_seed(size="small", apps=["shared"])
    day_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
    staff_edits = AuditLog.objects.filter(
        action__in=["insert", "update", "delete"], created_at__gte=day_ago, metadata__seed=True
    ).exclude(actor__startswith="sql:")
    assert staff_edits.exists()
    assert not staff_edits.filter(table_name="").exists()
    board = dashboard.build_dashboard(user=admin_user)
    assert "admin_edits" in board.charts
    assert ">max 0<" not in str(board.charts["admin_edits"])  # the chart's scale: some edits to show


def test_each_app_owns_its_demo_data_and_imports_no_other_apps_demo_module():
    """`<app>/demo.py` builds on `shared.seeding` and its own app; a link to another app's rows goes
    through ids or e-mails, never through that app's demo module (or any other schema app)."""
    import ast
    import importlib

    from shared.apps_base import schema_apps

    labels = [config.label for config in schema_apps()]
    assert seedable_apps() == labels  # every schema app has demo data, shared first
    for label in labels:
        module = importlib.import_module(f"{label}.demo")
        path = Path(module.__file__)
        # renos, crm and flow: a package
        files = sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
        nodes = [node for file in files for node in ast.walk(ast.parse(file.read_text()))]
        imported = {
            (node.module or "").split(".")[0]
            for node in nodes
            if isinstance(node, ast.ImportFrom) and node.level == 0
        } | {
            alias.name.split(".")[0] for node in nodes if isinstance(node, ast.Import) for alias in node.names
        }
        others = (set(labels) - {label, "shared"}) & imported
        assert not others, f"{label}.demo imports {sorted(others)}"
        assert "operations" not in imported, f"{label}.demo imports the operations app"
