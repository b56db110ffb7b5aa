import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from renos.factories import BookingFactory, CustomerFactory, InvoiceFactory
from renos.models import Customer, Invoice, InvoiceCounter, InvoiceLineItem, InvoiceStatus, PaymentMethod
from renos.services import (
    allocate_invoice_number,
    cancel_invoice,
    create_invoice,
    mark_invoice_paid,
    mark_invoice_reminder_sent,
    mark_invoice_sent,
    recalculate_invoice,
)

CLEANING = {"description": "Fast rengøring", "quantity": Decimal("3.5"), "unit_price": Decimal("349.00")}


def test_create_invoice_computes_amounts_in_decimals(db, clock):
    customer = CustomerFactory(
        name="Lise Holm", email="lise@example.dk", address="Nørregade 3, 8000 Aarhus C"
    )
    lines = [CLEANING, {"description": "Kørsel", "quantity": Decimal("1"), "unit_price": Decimal("99.99")}]

    invoice = create_invoice(customer=customer, lines=lines)

    stored = Invoice.objects.get(pk=invoice.pk)
    # 3.5 × 349 = 1221.50; + 99.99 = 1321.49; VAT 330.3725 → 330.37; total 1651.86
    assert (stored.subtotal, stored.vat_amount, stored.total) == (
        Decimal("1321.49"),
        Decimal("330.37"),
        Decimal("1651.86"),
    )
    assert stored.invoice_number == "2026-0001"
    assert (stored.issue_date, stored.due_date) == (dt.date(2026, 3, 2), dt.date(2026, 3, 16))
    assert (stored.customer_name, stored.customer_email, stored.customer_address) == (
        "Lise Holm",
        "lise@example.dk",
        "Nørregade 3, 8000 Aarhus C",
    )
    assert stored.status == InvoiceStatus.DRAFT
    assert list(stored.lines.values_list("description", "amount", "sort_order")) == [
        ("Fast rengøring", Decimal("1221.50"), 0),
        ("Kørsel", Decimal("99.99"), 1),
    ]


def test_line_amounts_and_vat_round_half_up(db, clock):
    # 0.5 × 0.05 = 0.025 → 0.03; VAT 25 % of 0.03 = 0.0075 → 0.01
    invoice = create_invoice(
        customer=CustomerFactory(),
        lines=[{"description": "x", "quantity": Decimal("0.5"), "unit_price": "0.05"}],
    )

    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (
        Decimal("0.03"),
        Decimal("0.01"),
        Decimal("0.04"),
    )


def test_a_discount_line_and_another_vat_rate(db, clock):
    lines = [CLEANING, {"description": "Rabat", "quantity": Decimal("1"), "unit_price": Decimal("-221.50")}]

    invoice = create_invoice(customer=CustomerFactory(), lines=lines, vat_rate=Decimal("0"), due_in_days=0)

    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (
        Decimal("1000.00"),
        0,
        Decimal("1000.00"),
    )
    assert invoice.due_date == invoice.issue_date


def test_numbers_run_per_year_in_local_time(db, clock):
    customer = CustomerFactory()
    first = create_invoice(customer=customer, lines=[CLEANING])
    second = create_invoice(customer=customer, lines=[CLEANING])
    # 23:30 UTC on New Year's Eve is already 2027 in Copenhagen.
    clock.set(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC))
    third = create_invoice(customer=customer, lines=[CLEANING])

    assert [first.invoice_number, second.invoice_number, third.invoice_number] == [
        "2026-0001",
        "2026-0002",
        "2027-0001",
    ]
    assert third.issue_date == dt.date(2027, 1, 1)


def test_a_failed_invoice_gives_its_number_back(db, clock):
    customer = CustomerFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        create_invoice(customer=customer, lines=[CLEANING])
        raise RuntimeError("the caller's transaction fails after the invoice")

    assert create_invoice(customer=customer, lines=[CLEANING]).invoice_number == "2026-0001"


def test_the_factory_numbers_from_the_same_counter(db, clock):
    InvoiceFactory()

    assert create_invoice(customer=CustomerFactory(), lines=[CLEANING]).invoice_number == "2026-0002"


@pytest.mark.django_db(transaction=True)
def test_allocating_outside_a_transaction_is_refused():
    with pytest.raises(transaction.TransactionManagementError, match="inside the transaction"):
        allocate_invoice_number(year=2026)
    assert not InvoiceCounter.objects.exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"customer": None}, "customer must be a saved Customer"),
        ({"lines": []}, "non-empty list of lines"),
        ({"lines": "Fast rengøring"}, "non-empty list of lines"),
        ({"lines": [{"description": "x"}]}, "Line 1: missing unit_price"),
        ({"lines": [{**CLEANING, "vat": 1}]}, "Line 1: unknown key.*vat"),
        ({"lines": [CLEANING, {**CLEANING, "unit_price": 349.0}]}, "Line 2: unit_price must be a Decimal"),
        ({"lines": [{**CLEANING, "quantity": Decimal("0")}]}, "Line 1: quantity must be positive"),
        ({"lines": [{**CLEANING, "quantity": Decimal("1.005")}]}, "Line 1: .*decimal places"),
        ({"lines": [{**CLEANING, "description": "  "}]}, "Line 1: description must be a non-empty string"),
        (
            {"lines": [{"description": "Rabat", "quantity": Decimal("1"), "unit_price": Decimal("-5")}]},
            "cannot be negative",
        ),
        ({"vat_rate": Decimal("-1")}, "vat_rate must be between 0 and 100"),
        ({"due_in_days": -1}, "due_in_days must be a whole number"),
        ({"due_in_days": 1.5}, "due_in_days must be a whole number"),
        ({"lines": [{**CLEANING, "unit_price": Decimal("99999999999")}]}, "digits"),
    ],
)
def test_create_invoice_refuses_bad_input(db, clock, kwargs, message):
    arguments = {"customer": CustomerFactory(), "lines": [CLEANING], **kwargs}

    with pytest.raises(ValidationError, match=message):
        create_invoice(**arguments)
    assert not Invoice.objects.exists() and not InvoiceCounter.objects.exists()


def test_create_invoice_refuses_another_customers_booking(db, clock):
    with pytest.raises(ValidationError, match="booking belongs to another customer"):
        create_invoice(customer=CustomerFactory(), lines=[CLEANING], booking=BookingFactory())


def test_create_invoice_for_a_booking(db, clock):
    booking = BookingFactory()

    invoice = create_invoice(customer=booking.customer, lines=[CLEANING], booking=booking)

    assert Invoice.objects.get(booking=booking) == invoice


def test_payment_in_two_parts_updates_status_and_revenue(db, clock):
    customer = CustomerFactory()
    invoice = create_invoice(customer=customer, lines=[CLEANING])  # total 1526.88
    mark_invoice_sent(invoice=invoice)

    mark_invoice_paid(
        invoice=invoice, amount=Decimal("500.00"), method=PaymentMethod.MOBILEPAY, reference="MP-1"
    )
    assert (invoice.status, invoice.paid_amount) == (InvoiceStatus.PARTIALLY_PAID, Decimal("500.00"))
    clock.advance(days=3)
    mark_invoice_paid(invoice=invoice, amount=Decimal("1026.88"), method=PaymentMethod.BANK_TRANSFER)

    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.paid_amount, stored.paid_at) == (
        InvoiceStatus.PAID,
        Decimal("1526.88"),
        clock.now,
    )
    assert (stored.payment_method, stored.payment_ref) == ("bank_transfer", None)
    assert Customer.objects.get(pk=customer.pk).total_revenue == Decimal("1526.88")


@pytest.mark.parametrize(
    "amount, method, message",
    [
        (Decimal("0"), "cash", "amount must be positive"),
        (Decimal("10.001"), "cash", "at most 2 decimal places"),
        (Decimal("1526.89"), "cash", "more than the 1526.88 outstanding"),
        (Decimal("10"), "bitcoin", "'bitcoin' is not a method"),
        (10.0, "cash", "amount must be a Decimal"),
    ],
)
def test_mark_invoice_paid_refuses(db, clock, amount, method, message):
    customer = CustomerFactory()
    invoice = create_invoice(customer=customer, lines=[CLEANING])

    with pytest.raises(ValidationError, match=message):
        mark_invoice_paid(invoice=invoice, amount=amount, method=method)
    assert Invoice.objects.get(pk=invoice.pk).paid_amount is None
    assert Customer.objects.get(pk=customer.pk).total_revenue == 0


def test_a_paid_or_cancelled_invoice_takes_no_payment(db, clock):
    paid = create_invoice(customer=CustomerFactory(), lines=[CLEANING])
    mark_invoice_paid(invoice=paid, amount=paid.total, method="cash")
    cancelled = cancel_invoice(invoice=create_invoice(customer=CustomerFactory(), lines=[CLEANING]))

    with pytest.raises(ValidationError, match="already paid"):
        mark_invoice_paid(invoice=paid, amount=Decimal("1"), method="cash")
    with pytest.raises(ValidationError, match="already cancelled"):
        mark_invoice_paid(invoice=cancelled, amount=Decimal("1"), method="cash")
    with pytest.raises(ValidationError, match="paid; it cannot be cancelled"):
        cancel_invoice(invoice=paid)


def test_reminders(db, clock):
    invoice = create_invoice(customer=CustomerFactory(), lines=[CLEANING])
    with pytest.raises(ValidationError, match="draft; only sent"):
        mark_invoice_reminder_sent(invoice=invoice)
    mark_invoice_sent(invoice=invoice)
    assert invoice.sent_at == clock.now

    mark_invoice_reminder_sent(invoice=invoice)  # not yet due: stays sent
    assert (invoice.status, invoice.reminder_sent_at) == (InvoiceStatus.SENT, clock.now)
    clock.advance(days=15)
    mark_invoice_reminder_sent(invoice=invoice)

    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.reminder_sent_at) == (InvoiceStatus.OVERDUE, clock.now)
    with pytest.raises(ValidationError, match="not a draft"):
        mark_invoice_sent(invoice=invoice)


def test_recalculate_follows_edited_lines(db, clock):
    invoice = create_invoice(customer=CustomerFactory(), lines=[CLEANING])
    line = invoice.lines.get()
    line.quantity = Decimal("2")
    line.compute_amount()
    line.save()

    recalculate_invoice(invoice=invoice)

    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (
        Decimal("698.00"),
        Decimal("174.50"),
        Decimal("872.50"),
    )
    assert InvoiceLineItem.objects.get(pk=line.pk).amount == Decimal("698.00")
