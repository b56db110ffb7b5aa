"""Invoices: numbered without gaps, priced from their lines, then sent, reminded, paid or cancelled.

Money is `Decimal` all the way (floats are refused), rounded to øre half up by renos.pricing. Each change
of state reads the invoice under `select_for_update()`; the numbers come from one upsert per year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Sum

from shared import validation as v
from shared.money import CENT

from .. import pricing
from ..models import Booking, Customer, Invoice, InvoiceCounter, InvoiceLineItem, InvoiceStatus, PaymentMethod
from .common import _copy_fields, _money, _now, _percent, _require_saved, _today

MAX_DUE_IN_DAYS = 365


class InvoiceLine(TypedDict):
    description: str
    quantity: Decimal
    unit_price: Decimal


def allocate_invoice_number(*, year: int) -> str:
    """Take the next invoice number of `year` (`2026-0001`, `2026-0002`, …).

    One `INSERT … ON CONFLICT DO UPDATE … RETURNING` on `renos.invoice_number_counters`: the year's row
    stays locked until the calling transaction ends, so concurrent callers queue, and a rolled-back
    invoice gives its number back — no gaps, no duplicates. Call it inside the transaction that saves
    the invoice; outside one the number would be spent even if the invoice is never saved.

    Raises ValidationError keyed by "year" (not a whole year from 1900 through 2200);
    TransactionManagementError when called outside a transaction (a programming error, not bad input).
    """
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            "allocate_invoice_number() must run inside the transaction that saves the invoice."
        )
    year = v.integer(year, name="year", min_value=v.MIN_DATE.year, max_value=v.MAX_DATE.year)
    table = connection.ops.quote_name(InvoiceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} AS counter (year, last_number) VALUES (%s, 1)
            ON CONFLICT (year) DO UPDATE
                SET last_number = counter.last_number + 1, updated_at = statement_timestamp()
            RETURNING last_number
            """,
            [year],
        )
        (number,) = cursor.fetchone()
    return f"{year}-{number:04d}"


def _invoice_lines(lines: Any) -> list[InvoiceLineItem]:
    if isinstance(lines, str | bytes | Mapping) or not isinstance(lines, Sequence) or not lines:
        raise ValidationError({"lines": "An invoice needs a non-empty list of lines."})
    if len(lines) > v.LIST_MAX_ITEMS:
        raise ValidationError(
            {"lines": f"An invoice has at most {v.LIST_MAX_ITEMS} lines, not {len(lines)}."}
        )
    items = []
    for number, line in enumerate(lines, start=1):
        where = f"Line {number}"
        if not isinstance(line, Mapping):
            raise ValidationError(
                {"lines": f"{where} must be a dict with description, quantity, unit_price."}
            )
        unknown = sorted(set(line) - {"description", "quantity", "unit_price"})
        missing = sorted({"description", "unit_price"} - set(line))
        if unknown or missing:
            raise ValidationError(
                {
                    "lines": f"{where}: "
                    + "; ".join(
                        [f"unknown key(s) {', '.join(unknown)}"] * bool(unknown)
                        + [f"missing {', '.join(missing)}"] * bool(missing)
                    )
                }
            )
        try:
            description = v.text(line["description"], name="description")
            quantity = v.decimal(line.get("quantity", Decimal("1")), name="quantity", max_digits=10)
            unit_price = _money(line["unit_price"], name="unit_price")
        except ValidationError as error:
            raise ValidationError({"lines": f"{where}: {' '.join(error.messages)}"}) from None
        if quantity <= 0:
            raise ValidationError({"lines": f"{where}: quantity must be positive, not {quantity}."})
        item = InvoiceLineItem(
            description=description, quantity=quantity, unit_price=unit_price, sort_order=number - 1
        )
        item.compute_amount()
        try:
            item.full_clean(exclude=["invoice"], validate_constraints=False)
        except ValidationError as error:
            raise ValidationError({"lines": f"{where}: {' '.join(error.messages)}"}) from None
        items.append(item)
    return items


def create_invoice(
    *,
    customer: Customer,
    lines: Sequence[InvoiceLine],
    booking: Booking | None = None,
    vat_rate: Decimal = Decimal("25"),
    due_in_days: int = 14,
) -> Invoice:
    """Issue a draft invoice dated today, numbered `<year>-<nnnn>` without gaps.

    Each line's amount is quantity × unit price rounded to øre (half up); subtotal is their sum, VAT is
    subtotal × rate rounded to øre, total = subtotal + VAT. The customer's name, e-mail and address are
    copied onto the invoice as they are today.

    Raises ValidationError keyed by the argument: a customer or booking that is not saved (or a booking
    of another customer); lines that are not a non-empty list of {description, quantity, unit_price}
    with exact amounts; a VAT rate outside 0-100; due_in_days outside 0-365; totals too large.
    """
    _require_saved(customer, Customer, name="customer")
    vat_rate = _percent(vat_rate, name="vat_rate")
    due_in_days = _due_in_days(due_in_days)
    if booking is not None:
        _require_saved(booking, Booking, name="booking")
        if booking.customer_id not in (None, customer.pk):
            raise ValidationError({"booking": "The booking belongs to another customer."})
    items = _invoice_lines(lines)
    invoice = _priced_invoice(
        customer=customer, booking=booking, items=items, vat_rate=vat_rate, due_in_days=due_in_days
    )
    with transaction.atomic():
        # Taken last, right before the insert: the year's counter row is locked until commit.
        invoice.invoice_number = allocate_invoice_number(year=invoice.issue_date.year)
        invoice.save(force_insert=True)
        for item in items:
            item.invoice = invoice
        InvoiceLineItem.objects.bulk_create(items)
    return invoice


def _due_in_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DUE_IN_DAYS:
        raise ValidationError(
            {"due_in_days": f"due_in_days must be a whole number of days from 0 to {MAX_DUE_IN_DAYS}."}
        )
    return value


def _priced_invoice(
    *,
    customer: Customer,
    booking: Booking | None,
    items: list[InvoiceLineItem],
    vat_rate: Decimal,
    due_in_days: int,
) -> Invoice:
    """The unsaved, unnumbered invoice dated today: totals from the lines, the customer's details as now."""
    subtotal = pricing.subtotal_of(item.amount for item in items)
    if subtotal < 0:
        raise ValidationError({"lines": f"The lines add up to {subtotal}; an invoice cannot be negative."})
    vat_amount = pricing.vat_amount(subtotal, vat_rate)
    today = _today()
    invoice = Invoice(
        customer=customer,
        booking=booking,
        customer_name=customer.name,
        customer_email=customer.email,
        customer_address=customer.address,
        issue_date=today,
        due_date=today + dt.timedelta(days=due_in_days),
        subtotal=subtotal,
        vat_rate=vat_rate,
        vat_amount=vat_amount,
        total=subtotal + vat_amount,
    )
    v.full_clean(
        invoice,
        names={"subtotal": "lines", "vat_amount": "lines", "total": "lines", "__all__": "customer"},
        exclude=["invoice_number"],
        validate_unique=False,
        validate_constraints=False,
    )
    return invoice


def recalculate_invoice(*, invoice: Invoice) -> Invoice:
    """Set subtotal, VAT and total from the invoice's lines (after lines were edited by hand).

    Raises ValidationError keyed by "invoice": not a saved Invoice, or a new total below what was paid.
    """
    _require_saved(invoice, Invoice, name="invoice")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        subtotal = locked.lines.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
        locked.subtotal = subtotal
        locked.vat_amount = pricing.vat_amount(subtotal, locked.vat_rate)
        locked.total = subtotal + locked.vat_amount
        if locked.paid_amount is not None and locked.paid_amount > locked.total:
            raise v.invalid(
                "invoice",
                f"The new total {locked.total} is below what was already paid ({locked.paid_amount}).",
            )
        fields = ["subtotal", "vat_amount", "total", "updated_at"]
        locked.save(update_fields=fields)
    _copy_fields(locked, invoice, fields)
    return locked


def _lock_invoice(invoice: Invoice) -> Invoice:
    _require_saved(invoice, Invoice, name="invoice")
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def mark_invoice_sent(*, invoice: Invoice) -> Invoice:
    """A draft invoice has been sent to the customer.

    Raises ValidationError keyed by "invoice": not a saved Invoice, or not a draft.
    """
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.status != InvoiceStatus.DRAFT:
            raise v.invalid("invoice", f"Invoice {locked.invoice_number} is {locked.status}, not a draft.")
        locked.status = InvoiceStatus.SENT
        locked.sent_at = _now()
        fields = ["status", "sent_at", "updated_at"]
        locked.save(update_fields=fields)
    _copy_fields(locked, invoice, fields)
    return locked


def cancel_invoice(*, invoice: Invoice) -> Invoice:
    """Cancel an invoice nobody has paid on; it keeps its number (numbers are never reused).

    Raises ValidationError keyed by "invoice": not a saved Invoice, already cancelled, or (partly) paid.
    """
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.status == InvoiceStatus.CANCELLED or locked.paid_amount:
            state = "cancelled" if locked.status == InvoiceStatus.CANCELLED else "(partly) paid"
            raise v.invalid("invoice", f"Invoice {locked.invoice_number} is {state}; it cannot be cancelled.")
        locked.status = InvoiceStatus.CANCELLED
        fields = ["status", "updated_at"]
        locked.save(update_fields=fields)
    _copy_fields(locked, invoice, fields)
    return locked


def mark_invoice_reminder_sent(*, invoice: Invoice) -> Invoice:
    """A payment reminder went out; a sent invoice past its due date becomes overdue.

    Raises ValidationError keyed by "invoice": not a saved Invoice, or not sent, partly paid or overdue.
    """
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        reminding = (InvoiceStatus.SENT, InvoiceStatus.OVERDUE, InvoiceStatus.PARTIALLY_PAID)
        if locked.status not in reminding:
            raise v.invalid(
                "invoice",
                f"Invoice {locked.invoice_number} is {locked.status}; "
                "only sent, partially paid or overdue invoices get reminders.",
            )
        locked.reminder_sent_at = _now()
        if locked.status == InvoiceStatus.SENT and locked.due_date < _today():
            locked.status = InvoiceStatus.OVERDUE
        fields = ["status", "reminder_sent_at", "updated_at"]
        locked.save(update_fields=fields)
    _copy_fields(locked, invoice, fields)
    return locked


def mark_invoice_paid(
    *, invoice: Invoice, amount: Decimal, method: str, reference: str | None = None
) -> Invoice:
    """Record a payment: paid when it covers the rest, partially paid otherwise.

    The amount (VAT included, as paid) is added to the customer's `total_revenue` by an F() update.
    Overpaying, paying a paid or cancelled invoice, and a non-positive amount are refused.

    Raises ValidationError keyed by the argument: an invoice that is not saved, paid or cancelled; an
    amount that is not positive whole øre (floats are refused) or more than is outstanding; an unknown
    method; a reference outside its column.
    """
    amount = _money(amount, name="amount")
    if amount <= 0 or amount != amount.quantize(CENT):
        raise ValidationError({"amount": f"amount must be positive and in whole øre, not {amount}."})
    method = v.choice(method, name="method", choices=PaymentMethod.values)
    reference = v.optional_text(
        reference, name="reference", max_length=Invoice._meta.get_field("payment_ref").max_length
    )
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.status in (InvoiceStatus.PAID, InvoiceStatus.CANCELLED):
            raise v.invalid("invoice", f"Invoice {locked.invoice_number} is already {locked.status}.")
        if amount > locked.outstanding:
            raise ValidationError(
                {
                    "amount": f"{amount} is more than the {locked.outstanding} "
                    f"outstanding on {locked.invoice_number}."
                }
            )
        now = _now()
        locked.paid_amount = (locked.paid_amount or Decimal("0")) + amount
        locked.status = (
            InvoiceStatus.PAID if locked.paid_amount == locked.total else InvoiceStatus.PARTIALLY_PAID
        )
        locked.paid_at = now
        locked.payment_method = method
        locked.payment_ref = reference
        fields = ["paid_amount", "status", "paid_at", "payment_method", "payment_ref", "updated_at"]
        locked.save(update_fields=fields)
        Customer.objects.filter(pk=locked.customer_id).update(
            total_revenue=F("total_revenue") + amount, updated_at=now
        )
    _copy_fields(locked, invoice, fields)
    return locked
