"""The tables themselves: plain SQL inserts of the listed columns, defaults, and the constraints that the
database enforces whoever writes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from renos.factories import (
    BookingFactory,
    CleaningPlanBookingFactory,
    ConversationFactory,
    CustomerFactory,
    EmailMessageFactory,
    EmailThreadFactory,
    InvoiceFactory,
    InvoiceLineItemFactory,
    LeadFactory,
)
from renos.models import Analytics, Booking, Conversation, Customer, EmailMessage, EmailThread, Invoice, Lead
from renos.services import track_metric


def insert(table: str, **columns):
    """INSERT naming only the given columns, as the services that still write plain SQL do."""
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "renos"."{table}" ({names}) VALUES ({marks}) RETURNING id', list(columns.values())
        )
        return cursor.fetchone()[0]


def test_plain_sql_insert_gets_id_timestamps_and_listed_defaults(db):
    customer_id = insert("customers", name="SQL kunde")
    lead_id = insert("leads", name="SQL lead")
    booking_id = insert(
        "bookings", customer_id=customer_id, scheduled_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    )

    customer = Customer.objects.get(pk=customer_id)
    assert (customer.status, customer.tags, customer.total_leads, customer.total_revenue) == (
        "active",
        [],
        0,
        0,
    )
    assert customer.created_at is not None and customer.updated_at is not None
    lead = Lead.objects.get(pk=lead_id)
    assert (lead.status, lead.priority, lead.score, lead.follow_up_attempts, lead.preferred_dates) == (
        "new",
        "medium",
        0,
        0,
        [],
    )
    booking = Booking.objects.get(pk=booking_id)
    assert (booking.status, booking.timer_status, booking.estimated_duration) == (
        "scheduled",
        "not_started",
        120,
    )


def test_the_from_column_keeps_its_name(db):
    thread_id = insert(
        "email_threads",
        gmail_thread_id="t1",
        subject="Hej",
        last_message_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    message_id = insert(
        "email_messages",
        thread_id=thread_id,
        **{"from": "kunde@example.dk"},
        to=["info@rendetalje.dk"],
        body="Hej",
        sent_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )

    message = EmailMessage.objects.get(pk=message_id)
    assert (message.sender, message.to, message.direction, message.status) == (
        "kunde@example.dk",
        ["info@rendetalje.dk"],
        "inbound",
        "delivered",
    )


@pytest.mark.parametrize(
    "table, columns, constraint",
    [
        ("customers", {"name": "x", "status": "vip"}, "customers_status_valid"),
        ("leads", {"name": "x", "status": "hot"}, "leads_status_valid"),
        ("leads", {"name": "x", "priority": "asap"}, "leads_priority_valid"),
        ("leads", {"name": "x", "score": 150}, "leads_score_at_most_100"),
        ("escalations", {"severity": "meh"}, "escalations_severity_valid"),
        (
            "task_executions",
            {"task_type": "t", "task_payload": "{}", "status": "ok"},
            "task_executions_status_valid",
        ),
    ],
)
def test_check_constraints_refuse_values_outside_the_choices(db, table, columns, constraint):
    if table == "escalations":
        columns = {
            "lead_id": LeadFactory().pk,
            "customer_email": "a@b.dk",
            "thread_id": "t",
            "conflict_score": 1,
            "email_snippet": "x",
            "escalated_by": "x",
            **columns,
        }
    with pytest.raises(IntegrityError, match=constraint):
        insert(table, **columns)


def test_invoice_total_must_be_subtotal_plus_vat(db):
    with pytest.raises(IntegrityError, match="invoices_total_is_subtotal_plus_vat"):
        InvoiceFactory(subtotal=Decimal("100"), vat_amount=Decimal("25"), total=Decimal("124.99"))


def test_invoice_due_date_not_before_issue_date(db):
    with pytest.raises(IntegrityError, match="invoices_due_on_or_after_issue"):
        InvoiceFactory(issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 3, 1))


def test_invoice_cannot_be_paid_beyond_its_total(db):
    invoice = InvoiceFactory(subtotal=Decimal("100"), vat_amount=Decimal("25"), total=Decimal("125"))

    with pytest.raises(IntegrityError, match="invoices_paid_amount_within_total"):
        Invoice.objects.filter(pk=invoice.pk).update(paid_amount=Decimal("125.01"))


def test_invoice_needs_a_customer(db):
    with pytest.raises(IntegrityError, match="customer_id"):
        InvoiceFactory(customer=None, customer_name="x", customer_email=None, customer_address=None)


def test_invoice_numbers_and_billy_ids_are_unique(db):
    first = InvoiceFactory(billy_invoice_id="B-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(invoice_number=first.invoice_number)
    with pytest.raises(IntegrityError):
        InvoiceFactory(billy_invoice_id="B-1")


def test_line_amount_must_be_quantity_times_price(db):
    with pytest.raises(IntegrityError, match="invoice_line_items_amount_is_quantity_times_price"):
        InvoiceLineItemFactory(quantity=Decimal("2"), unit_price=Decimal("10.00"), amount=Decimal("20.01"))


def test_the_database_rounds_line_amounts_like_the_services(db):
    line = InvoiceLineItemFactory(quantity=Decimal("0.5"), unit_price=Decimal("0.05"))  # 0.025 → 0.03

    assert line.amount == Decimal("0.03")


@pytest.mark.parametrize(
    "field, value",
    [("email", "dup@example.dk"), ("idempotency_key", "k-1")],
)
def test_unique_keys(db, field, value):
    factory = CustomerFactory if field == "email" else LeadFactory
    factory(**{field: value})

    with pytest.raises(IntegrityError):
        factory(**{field: value})


def test_several_customers_without_email(db):
    CustomerFactory(email=None)
    CustomerFactory(email=None)

    assert Customer.objects.filter(email__isnull=True).count() == 2


def test_a_booking_has_one_plan_booking(db):
    plan_booking = CleaningPlanBookingFactory()

    with pytest.raises(IntegrityError):
        CleaningPlanBookingFactory(booking=plan_booking.booking)


def test_booking_actual_end_not_before_start(db):
    booking = BookingFactory()

    with pytest.raises(IntegrityError, match="bookings_actual_end_after_start"):
        Booking.objects.filter(pk=booking.pk).update(
            actual_start_time=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
            actual_end_time=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
        )


def test_nullable_foreign_keys_are_set_null(db):
    customer = CustomerFactory()
    lead = LeadFactory(customer=customer)
    conversation = ConversationFactory(customer=customer, lead=lead)
    thread = EmailThreadFactory(customer=customer)
    message = EmailMessageFactory(thread=thread, conversation=conversation)

    customer.delete()

    assert Lead.objects.get(pk=lead.pk).customer is None
    assert Conversation.objects.get(pk=conversation.pk).customer is None
    assert EmailThread.objects.get(pk=thread.pk).customer is None
    lead.delete()
    conversation.delete()
    assert Conversation.objects.filter(pk=conversation.pk).count() == 0
    assert EmailMessage.objects.get(pk=message.pk).conversation is None


def test_track_metric_upserts_the_last_value(db):
    day = dt.date(2026, 3, 2)
    first = track_metric(date=day, metric="leads_created", value=3)
    second = track_metric(date=day, metric="leads_created", value=Decimal("5"))
    track_metric(date=day, metric="revenue", value=0.1 + 0.2)

    assert second.pk == first.pk and second.value == Decimal("5")
    assert Analytics.objects.count() == 2
    assert Analytics.objects.get(metric="revenue").value == Decimal("0.3000")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"date": dt.datetime(2026, 3, 2, tzinfo=dt.UTC)}, "date must be a date"),
        ({"metric": " "}, "metric must be a non-empty string"),
        ({"value": float("nan")}, "finite"),
        ({"value": "lots"}, "value must be a number"),
    ],
)
def test_track_metric_refuses_bad_input(db, kwargs, message):
    from django.core.exceptions import ValidationError

    arguments = {"date": dt.date(2026, 3, 2), "metric": "m", "value": 1, **kwargs}

    with pytest.raises(ValidationError, match=message):
        track_metric(**arguments)
    assert not Analytics.objects.exists()


def test_analytics_is_unique_per_date_and_metric(db):
    Analytics.objects.create(date=dt.date(2026, 3, 2), metric="m", value=1)

    with pytest.raises(IntegrityError, match="analytics_date_metric_uniq"):
        Analytics.objects.create(date=dt.date(2026, 3, 2), metric="m", value=2)
