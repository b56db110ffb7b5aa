"""The rules the demo data follows, checked on one `seed --size small` at a fixed moment, made once for the
module (built_for_the_module: rolled back at its end) and only read by each test, or written to inside
the test's own transaction. The seed command itself (idempotence, determinism, reset, processes) is
tests/ops/test_seed.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from operations.seeding import run_seed
from shared.models import AuditLog, User
from tests.support.constraints import check_deferred_foreign_keys
from tests.support.database import built_for_the_module

from .test_seed import NOW


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    with built_for_the_module(django_db_blocker, lambda: run_seed(size="small", now=NOW)) as results:
        yield results


@pytest.fixture
def seeded(seeded_once, db):
    """The module's demo data, inside this test's transaction."""
    return seeded_once


def _counts(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


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


def test_seeded_relations_are_consistent(seeded):
    assert not AuditLog.objects.filter(metadata__seed=True, actor_id__isnull=True).exists()
    assert User.objects.filter(email__endswith="@demo.tekup.example.com", is_staff=True).exists()


def test_seeded_renos_relations_add_up(seeded):
    check_deferred_foreign_keys()
    from renos.models import Booking, Invoice

    assert Invoice.objects.count() > 10 and Booking.objects.count() > 30
    assert _counts("SELECT count(*) FROM renos.breaks") > 0  # or the break checks below prove nothing
    broken = {name: _counts(sql) for name, sql in RENOS_VIOLATIONS.items()}
    assert {name: rows for name, rows in broken.items() if rows} == {}


def test_seeded_crm_rows_follow_the_pipeline_rules(seeded):
    from crm import services
    from crm.models import Deal

    check_deferred_foreign_keys()
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


def test_seeded_flow_rows_follow_the_services(seeded):
    from flow import services
    from flow.models import Execution, Schedule, Variable, Webhook, Workflow
    from shared import crypto

    check_deferred_foreign_keys()
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


def test_every_seeded_email_is_valid_and_on_a_reserved_domain(seeded):
    """Every EmailField of every model holds an address that EmailValidator accepts (so saving a seeded
    record unchanged works) on an RFC 2606 domain (so no demo address can reach anyone)."""
    from django.apps import apps
    from django.core.validators import validate_email
    from django.db import models

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


def test_seeded_data_is_laid_out_around_the_seed_moment(seeded):
    """The last 24 hours and the next two weeks are busy and statuses agree with time."""
    from billy.models import UsageMetric
    from flow.models import Execution
    from renos.models import Booking

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
