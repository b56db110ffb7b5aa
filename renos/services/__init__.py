"""Public API of the renos schema: leads, quotes, bookings and their timers, invoices, daily metrics.

The admin's actions, the commands and sibling services call these instead of writing rows themselves.
Every function takes keyword arguments only, validates before it writes, raises `ValidationError` with a
message that names what is wrong, and writes inside `transaction.atomic()`. Money is `Decimal` all the
way (floats are refused), rounded to øre half up. Concurrency is left to the database: counters move with
`F()` updates, the timer's state is read under `select_for_update()`, invoice numbers and metrics come
from one-statement upserts. The clock is `django.utils.timezone.now`, so tests can move it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Sum
from django.utils import timezone

from shared import validation as v
from shared.models import AuditLog
from shared.money import CENT

from .. import pricing, timekeeping
from ..models import (
    Analytics,
    Booking,
    BookingStatus,
    Break,
    Customer,
    Invoice,
    InvoiceCounter,
    InvoiceLineItem,
    InvoiceStatus,
    Lead,
    LeadStatus,
    PaymentMethod,
    Quote,
    QuoteStatus,
    TimerStatus,
)

__all__ = [
    "InvoiceLine",
    "allocate_invoice_number",
    "anonymise_customer",
    "book",
    "cancel_invoice",
    "create_invoice",
    "create_lead",
    "end_break",
    "mark_invoice_paid",
    "mark_invoice_reminder_sent",
    "mark_invoice_sent",
    "quote_lead",
    "recalculate_invoice",
    "start_break",
    "start_timer",
    "stop_timer",
    "track_metric",
]

QUOTE_VALID_DAYS = 30
MAX_DUE_IN_DAYS = 365


class InvoiceLine(TypedDict):
    description: str
    quantity: Decimal
    unit_price: Decimal


# --- helpers -------------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return timezone.localdate(_now())


def _percent(value: Any, *, name: str) -> Decimal:
    return v.decimal(value, name=name, max_digits=5, decimal_places=2, min_value=0, max_value=100)


def _money(value: Any, *, name: str) -> Decimal:
    return v.decimal(value, name=name, max_digits=12, decimal_places=2)


def _require_saved(obj: Any, model: type, *, name: str) -> None:
    v.instance(obj, name=name, model=model)


def _editable_fields(model: type[models.Model], *, exclude: set[str]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if f.editable and f.name not in exclude}


def _copy_fields(source: Any, target: Any, names: Sequence[str]) -> None:
    """Bring the caller's instance up to date with what was written."""
    if target is not source:
        for name in names:
            setattr(target, name, getattr(source, name))


# --- leads and quotes ----------------------------------------------------------------------------------

_LEAD_FIELDS = _editable_fields(Lead, exclude={"idempotency_key"})


def create_lead(*, idempotency_key: str | None = None, **fields: Any) -> Lead:
    """Create a lead from the columns of `renos.leads`.

    With an `idempotency_key`, a repeat returns the first lead unchanged, also when two calls race: the
    unique key decides, the loser's insert fails inside a savepoint and it reads the winner's row.
    A lead linked to a customer counts in the customer's `total_leads`.

    Raises ValidationError keyed by the argument: an unknown field name, a value outside its column
    (text, numbers, e-mail, dates, JSON), a customer that is not saved, a blank idempotency_key, no name,
    e-mail or phone at all.
    """
    fields = v.model_fields(Lead, fields, allowed=_LEAD_FIELDS)
    if idempotency_key is not None:
        idempotency_key = v.text(idempotency_key, name="idempotency_key", max_length=255)
        existing = Lead.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    lead = Lead(idempotency_key=idempotency_key, **fields)
    if not (lead.name or lead.email or lead.phone):
        raise v.invalid("name", "A lead needs a name, an email address or a phone number.")
    # The unique key is checked by the insert itself.
    v.full_clean(lead, names={"__all__": "name"}, validate_unique=False)
    try:
        with transaction.atomic():
            lead.save(force_insert=True)
            if lead.customer_id is not None:
                _count_on_customer(lead.customer_id, total_leads=1)
    except IntegrityError:
        existing = (
            Lead.objects.filter(idempotency_key=idempotency_key).first()
            if idempotency_key is not None
            else None
        )
        if existing is None:
            raise v.invalid("idempotency_key", "The lead conflicts with one that exists.") from None
        return existing
    return lead


def _count_on_customer(customer_id: Any, *, total_leads: int = 0, total_bookings: int = 0) -> None:
    now = _now()
    Customer.objects.filter(pk=customer_id).update(
        total_leads=F("total_leads") + total_leads,
        total_bookings=F("total_bookings") + total_bookings,
        last_contact_at=now,
        updated_at=now,
    )


def quote_lead(
    *, lead: Lead, hourly_rate: Decimal, estimated_hours: Decimal, vat_rate: Decimal = Decimal("25")
) -> Quote:
    """Make a draft quote for a lead: subtotal = rate × hours, total = subtotal + VAT (øre, half up).

    The quote is valid for 30 days; a lead that was new, contacted or qualified becomes quoted.

    Raises ValidationError keyed by the argument: a lead that is not saved, a rate or hours that are not
    exact numbers of their columns (floats are refused), a negative rate, non-positive hours, a VAT rate
    outside 0-100, a total too large for a money column.
    """
    _require_saved(lead, Lead, name="lead")
    hourly_rate = _money(hourly_rate, name="hourly_rate")
    estimated_hours = v.decimal(estimated_hours, name="estimated_hours", max_digits=7, decimal_places=2)
    vat_rate = _percent(vat_rate, name="vat_rate")
    if hourly_rate < 0:
        raise ValidationError({"hourly_rate": f"hourly_rate must not be negative, not {hourly_rate}."})
    if estimated_hours <= 0:
        raise ValidationError(
            {"estimated_hours": f"estimated_hours must be positive, not {estimated_hours}."}
        )
    quote = Quote(
        lead=lead,
        hourly_rate=hourly_rate,
        estimated_hours=estimated_hours,
        vat_rate=vat_rate,
        valid_until=_today() + dt.timedelta(days=QUOTE_VALID_DAYS),
    )
    quote.compute_totals()
    v.full_clean(quote, names={"subtotal": "hourly_rate", "total": "hourly_rate", "__all__": "lead"})
    with transaction.atomic():
        quote.save(force_insert=True)
        Lead.objects.filter(
            pk=lead.pk, status__in=[LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED]
        ).update(status=LeadStatus.QUOTED, updated_at=_now())
    lead.refresh_from_db(fields=["status", "updated_at"])
    return quote


# --- bookings ------------------------------------------------------------------------------------------

_TIMER_FIELDS = [
    "actual_start_time",
    "actual_end_time",
    "actual_duration",
    "time_variance",
    "efficiency_score",
    "timer_status",
]
_BOOKING_FIELDS = _editable_fields(
    Booking, exclude={"scheduled_at", "customer", "lead", "quote", "status", *_TIMER_FIELDS}
)


def book(
    *,
    scheduled_at: dt.datetime,
    customer: Customer | None = None,
    lead: Lead | None = None,
    quote: Quote | None = None,
    **fields: Any,
) -> Booking:
    """Book a cleaning job for a customer and/or a lead, optionally from a quote.

    The lead and the customer are taken from the quote and the lead where not given. The customer's
    `total_bookings` (and `total_leads`, when the lead gets linked to the customer here) grow by F()
    updates; the lead becomes booked and the quote accepted. Without an `estimated_duration` a quote's
    hours give it.

    Raises ValidationError keyed by the argument: an unknown field name, a value outside its column, a
    naive or out-of-range scheduled_at, no customer and no lead, one that is not saved, a quote of
    another lead or one rejected or expired, a lead of another customer.
    """
    fields = v.model_fields(Booking, fields, allowed=_BOOKING_FIELDS)
    scheduled_at = v.aware_datetime(scheduled_at, name="scheduled_at")
    customer = v.optional_instance(customer, name="customer", model=Customer)
    lead = v.optional_instance(lead, name="lead", model=Lead)
    quote = v.optional_instance(quote, name="quote", model=Quote)
    if quote is not None:
        _require_saved(quote, Quote, name="quote")
        if lead is None:
            lead = quote.lead
        elif quote.lead_id != lead.pk:
            raise ValidationError({"quote": "The quote was made for another lead."})
        if quote.status in (QuoteStatus.REJECTED, QuoteStatus.EXPIRED):
            raise ValidationError({"quote": f"The quote is {quote.status}; it cannot be booked."})
        fields.setdefault("estimated_duration", math.ceil(quote.estimated_hours * 60))
    if lead is not None:
        _require_saved(lead, Lead, name="lead")
        if customer is None and lead.customer_id is not None:
            customer = lead.customer
    if customer is not None:
        _require_saved(customer, Customer, name="customer")
        if lead is not None and lead.customer_id not in (None, customer.pk):
            raise ValidationError({"lead": "The lead belongs to another customer."})
    if customer is None and lead is None:
        raise v.invalid("customer", "A booking needs a customer or a lead.")

    booking = Booking(scheduled_at=scheduled_at, customer=customer, lead=lead, quote=quote, **fields)
    v.full_clean(booking, names={"__all__": "scheduled_at"})
    with transaction.atomic():
        booking.save(force_insert=True)
        links_lead = (
            lead is not None
            and customer is not None
            and Lead.objects.filter(pk=lead.pk, customer__isnull=True).update(
                customer=customer, updated_at=_now()
            )
        )
        if customer is not None:
            _count_on_customer(customer.pk, total_bookings=1, total_leads=1 if links_lead else 0)
        if lead is not None:
            Lead.objects.filter(pk=lead.pk).exclude(status=LeadStatus.WON).update(
                status=LeadStatus.BOOKED, updated_at=_now()
            )
        if quote is not None:
            Quote.objects.filter(pk=quote.pk, status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT]).update(
                status=QuoteStatus.ACCEPTED, updated_at=_now()
            )
    for obj in (customer, lead, quote):
        if obj is not None:
            obj.refresh_from_db()
    return booking


# --- the work timer ------------------------------------------------------------------------------------


def _lock_booking(booking: Booking) -> Booking:
    _require_saved(booking, Booking, name="booking")
    return Booking.objects.select_for_update().get(pk=booking.pk)


def _refuse(locked: Booking, action: str, *allowed: str) -> None:
    if locked.timer_status not in allowed:
        raise ValidationError(
            {
                "booking": f"Cannot {action}: the timer is {locked.get_timer_status_display().lower()} "
                f"(it must be {' or '.join(TimerStatus(s).label.lower() for s in allowed)})."
            }
        )


def _save_timer(locked: Booking, booking: Booking, *extra: str) -> Booking:
    names = [*_TIMER_FIELDS, *extra]
    locked.save(update_fields=[*names, "updated_at"])
    _copy_fields(locked, booking, [*names, "updated_at"])
    return locked


def start_timer(*, booking: Booking) -> Booking:
    """Start the work on a booking: it becomes in progress and its timer runs.

    Raises ValidationError keyed by "booking": not a saved Booking, its timer not idle, or the booking
    cancelled, no-show or completed.
    """
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "start the timer", TimerStatus.NOT_STARTED)
        if locked.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.COMPLETED):
            raise v.invalid("booking", f"Cannot start the timer of a booking that is {locked.status}.")
        locked.actual_start_time = _now()
        locked.timer_status = TimerStatus.RUNNING
        locked.status = BookingStatus.IN_PROGRESS
        return _save_timer(locked, booking, "status")


def start_break(*, booking: Booking, reason: str | None = None) -> Break:
    """Open a break on a running timer; a second open break is refused (here and by the database).

    Raises ValidationError keyed by the argument: a booking that is not saved or whose timer is not
    running, a reason outside its column.
    """
    reason = v.optional_text(reason, name="reason", max_length=Break._meta.get_field("reason").max_length)
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "start a break", TimerStatus.RUNNING)
        pause = Break(booking=locked, start_time=_now(), reason=reason)
        v.full_clean(pause, names={"__all__": "booking"}, validate_constraints=False)
        pause.save(force_insert=True)
        locked.timer_status = TimerStatus.ON_BREAK
        _save_timer(locked, booking)
        return pause


def _close_open_break(locked: Booking, now: dt.datetime) -> Break:
    pause = Break.objects.select_for_update().filter(booking=locked, end_time__isnull=True).first()
    if pause is None:
        raise v.invalid("booking", "The timer is on a break, but no open break was found.")
    if now < pause.start_time:
        raise v.invalid("booking", "The clock is before the start of the break.")
    pause.end_time = now
    pause.compute_duration()
    pause.save(update_fields=["end_time", "duration", "updated_at"])
    return pause


def end_break(*, booking: Booking) -> Break:
    """Close the open break; the timer runs again.

    Raises ValidationError keyed by "booking": not a saved Booking, or its timer not on a break.
    """
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "end a break", TimerStatus.ON_BREAK)
        pause = _close_open_break(locked, _now())
        locked.timer_status = TimerStatus.RUNNING
        _save_timer(locked, booking)
        return pause


def stop_timer(*, booking: Booking) -> Booking:
    """Stop the timer (closing a break still open) and complete the booking.

    actual_duration: minutes from start to stop less the breaks (the part of each break inside that
    span), rounded half up; time_variance: actual − estimate in minutes; efficiency_score: estimate ÷
    actual, to two decimals (none when the actual duration is zero).

    Raises ValidationError keyed by "booking": not a saved Booking, or its timer not running.
    """
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "stop the timer", TimerStatus.RUNNING, TimerStatus.ON_BREAK)
        now = _now()
        start = locked.actual_start_time
        assert start is not None  # a running timer has a start (start_timer sets both together)
        if now < start:
            raise v.invalid("booking", "The clock is before the start of the timer.")
        if locked.timer_status == TimerStatus.ON_BREAK:
            _close_open_break(locked, now)
        closed = Break.objects.filter(booking=locked, end_time__isnull=False).values_list(
            "start_time", "end_time"
        )
        breaks = [(begin, end) for begin, end in closed if end is not None]
        figures = timekeeping.stopped_timer(
            start=start, stop=now, estimated_minutes=locked.estimated_duration, breaks=breaks
        )
        locked.actual_end_time = now
        locked.actual_duration = figures.actual_duration
        locked.time_variance = figures.time_variance
        locked.efficiency_score = figures.efficiency_score
        locked.timer_status = TimerStatus.STOPPED
        locked.status = BookingStatus.COMPLETED
        return _save_timer(locked, booking, "status")


# --- customers -----------------------------------------------------------------------------------------

ANONYMISED_FIELDS = ("name", "email", "phone", "address")


def anonymise_customer(*, customer: Customer) -> Customer:
    """Replace a customer's name, e-mail, phone and address (GDPR erasure of a customer with invoices).

    Bookkeeping forbids deleting a customer's invoices (`Invoice.customer` is PROTECT, in the database
    too), so such a customer is anonymised instead: the row stays, its personal data goes. The invoices
    keep the name, e-mail and address they were issued to (`customer_name`, … are a snapshot). The write
    is an ordinary ORM update, so the database audit records it (who, when); the personal data that the
    audit held of this row, before and in this update, is replaced by "(removed)" in the same
    transaction, so the erasure reaches the audit too.

    Raises ValidationError keyed by "customer": not a saved Customer.
    """
    _require_saved(customer, Customer, name="customer")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        locked.name = f"Anonymised customer {str(locked.pk)[:8]}"
        locked.email = None
        locked.phone = None
        locked.address = None
        fields = [*ANONYMISED_FIELDS, "updated_at"]
        locked.save(update_fields=fields)
        _erase_from_audit(locked)
    _copy_fields(locked, customer, fields)
    return locked


def _erase_from_audit(customer: Customer) -> None:
    # The audit is a log table without triggers of its own (shared.audit): rewriting its entries of
    # this one row is the erasure, not a change that needs recording.
    # These four fields keep their names as columns.
    columns = set(ANONYMISED_FIELDS)
    schema, _, table = Customer._meta.db_table.replace('"."', ".").strip('"').partition(".")
    entries = AuditLog.objects.filter(schema_name=schema, table_name=table, resource_id=str(customer.pk))
    for entry in entries.only("id", "changes"):
        changes = entry.changes or {}
        touched = False
        for column in columns & set(changes):
            before, after = changes[column]
            erased = [None if before is None else REMOVED, after]
            if after is not None and after != getattr(customer, column):
                erased[1] = REMOVED  # a value it held before the erasure
            if erased != [before, after]:
                changes[column], touched = erased, True
        if touched:
            AuditLog.objects.filter(pk=entry.pk).update(changes=changes)


REMOVED = "(removed)"


# --- invoices ------------------------------------------------------------------------------------------


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
    if (
        isinstance(due_in_days, bool)
        or not isinstance(due_in_days, int)
        or not 0 <= due_in_days <= MAX_DUE_IN_DAYS
    ):
        raise ValidationError(
            {"due_in_days": f"due_in_days must be a whole number of days from 0 to {MAX_DUE_IN_DAYS}."}
        )
    if booking is not None:
        _require_saved(booking, Booking, name="booking")
        if booking.customer_id not in (None, customer.pk):
            raise ValidationError({"booking": "The booking belongs to another customer."})
    items = _invoice_lines(lines)
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
    with transaction.atomic():
        # Taken last, right before the insert: the year's counter row is locked until commit.
        invoice.invoice_number = allocate_invoice_number(year=today.year)
        invoice.save(force_insert=True)
        for item in items:
            item.invoice = invoice
        InvoiceLineItem.objects.bulk_create(items)
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


# --- analytics -----------------------------------------------------------------------------------------


def track_metric(*, date: dt.date, metric: str, value: Decimal | int | float) -> Analytics:
    """Set the value of a daily metric: one upsert on (date, metric); the last value wins.

    A metric is a measurement, not money: a finite float is accepted and rounded to 4 decimals.

    Raises ValidationError keyed by the argument: a date that is not a date from 1900 through 2200, a
    metric name outside its column, a value that is not a finite number within numeric(18,4).
    """
    date = v.date(date, name="date")
    metric = v.model_field(Analytics, "metric", metric)
    number = v.decimal(value, name="value", max_digits=None, decimal_places=None, allow_float=True)
    number = v.decimal(
        number.quantize(Decimal("0.0001"), ROUND_HALF_UP) if abs(number) < Decimal("1e14") else number,
        name="value",
        max_digits=18,
        decimal_places=4,
    )
    entry = Analytics(date=date, metric=metric, value=number)
    v.full_clean(entry, names={"__all__": "metric"}, validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        Analytics.objects.bulk_create(
            [entry],
            update_conflicts=True,
            unique_fields=["date", "metric"],
            update_fields=["value", "updated_at"],
        )
    return Analytics.objects.get(date=date, metric=metric)
