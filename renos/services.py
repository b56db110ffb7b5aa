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
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from shared.validation import decimal_value

from .models import (
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
from .models.bookings import minutes_between

CENT = Decimal("0.01")
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
    rate = decimal_value(value, name=name)
    if not Decimal(0) <= rate <= Decimal(100):
        raise ValidationError({name: f"{name} must be between 0 and 100 (a percentage), not {rate}."})
    return rate


def _require_saved(obj: Any, model: type, *, name: str) -> None:
    if not isinstance(obj, model) or obj.pk is None or obj._state.adding:
        raise ValidationError({name: f"{name} must be a saved {model._meta.verbose_name}."})


def _check_fields(fields: Mapping[str, Any], *, allowed: set[str], what: str) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError(f"Unknown {what} field(s): {', '.join(unknown)}.")


def _editable_fields(model: type, *, exclude: set[str]) -> set[str]:
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
    """
    _check_fields(fields, allowed=_LEAD_FIELDS, what="lead")
    if idempotency_key is not None:
        idempotency_key = str(idempotency_key).strip()
        if not idempotency_key:
            raise ValidationError({"idempotency_key": "idempotency_key must not be blank."})
        existing = Lead.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if isinstance(fields.get("email"), str):
        fields["email"] = fields["email"].strip().lower() or None
    lead = Lead(idempotency_key=idempotency_key, **fields)
    if not (lead.name or lead.email or lead.phone):
        raise ValidationError("A lead needs a name, an email address or a phone number.")
    lead.full_clean(validate_unique=False)  # the unique key is checked by the insert itself
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
            raise
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
    """
    _require_saved(lead, Lead, name="lead")
    hourly_rate = decimal_value(hourly_rate, name="hourly_rate")
    estimated_hours = decimal_value(estimated_hours, name="estimated_hours")
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
    quote.full_clean()
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
    """
    _check_fields(fields, allowed=_BOOKING_FIELDS, what="booking")
    if not isinstance(scheduled_at, dt.datetime) or timezone.is_naive(scheduled_at):
        raise ValidationError({"scheduled_at": "scheduled_at must be a timezone-aware datetime."})
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
        raise ValidationError("A booking needs a customer or a lead.")

    booking = Booking(scheduled_at=scheduled_at, customer=customer, lead=lead, quote=quote, **fields)
    booking.full_clean()
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
                "timer_status": f"Cannot {action}: the timer is {locked.get_timer_status_display().lower()} "
                f"(it must be {' or '.join(TimerStatus(s).label.lower() for s in allowed)})."
            }
        )


def _save_timer(locked: Booking, booking: Booking, *extra: str) -> Booking:
    names = [*_TIMER_FIELDS, *extra]
    locked.save(update_fields=[*names, "updated_at"])
    _copy_fields(locked, booking, [*names, "updated_at"])
    return locked


def start_timer(*, booking: Booking) -> Booking:
    """Start the work on a booking: it becomes in progress and its timer runs."""
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "start the timer", TimerStatus.NOT_STARTED)
        if locked.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.COMPLETED):
            raise ValidationError({"status": f"Cannot start the timer of a booking that is {locked.status}."})
        locked.actual_start_time = _now()
        locked.timer_status = TimerStatus.RUNNING
        locked.status = BookingStatus.IN_PROGRESS
        return _save_timer(locked, booking, "status")


def start_break(*, booking: Booking, reason: str | None = None) -> Break:
    """Open a break on a running timer; a second open break is refused (here and by the database)."""
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "start a break", TimerStatus.RUNNING)
        pause = Break(booking=locked, start_time=_now(), reason=(reason or "").strip() or None)
        pause.full_clean(validate_constraints=False)
        pause.save(force_insert=True)
        locked.timer_status = TimerStatus.ON_BREAK
        _save_timer(locked, booking)
        return pause


def _close_open_break(locked: Booking, now: dt.datetime) -> Break:
    pause = Break.objects.select_for_update().filter(booking=locked, end_time__isnull=True).first()
    if pause is None:
        raise ValidationError({"timer_status": "The timer is on a break, but no open break was found."})
    if now < pause.start_time:
        raise ValidationError({"end_time": "The clock is before the start of the break."})
    pause.end_time = now
    pause.compute_duration()
    pause.save(update_fields=["end_time", "duration", "updated_at"])
    return pause


def end_break(*, booking: Booking) -> Break:
    """Close the open break; the timer runs again."""
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
    """
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "stop the timer", TimerStatus.RUNNING, TimerStatus.ON_BREAK)
        now = _now()
        start = locked.actual_start_time
        if now < start:
            raise ValidationError({"actual_end_time": "The clock is before the start of the timer."})
        if locked.timer_status == TimerStatus.ON_BREAK:
            _close_open_break(locked, now)
        paused = dt.timedelta()
        for begin, end in Break.objects.filter(booking=locked, end_time__isnull=False).values_list(
            "start_time", "end_time"
        ):
            overlap = min(end, now) - max(begin, start)
            paused += max(overlap, dt.timedelta())
        actual = minutes_between(start, now - paused) if now - paused > start else 0
        locked.actual_end_time = now
        locked.actual_duration = actual
        locked.time_variance = actual - locked.estimated_duration
        locked.efficiency_score = (
            (Decimal(locked.estimated_duration) / Decimal(actual)).quantize(CENT, ROUND_HALF_UP)
            if actual
            else None
        )
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
    is an ordinary ORM update, so the audit (triggers, the admin's log) records it.
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
    _copy_fields(locked, customer, fields)
    return locked


# --- invoices ------------------------------------------------------------------------------------------


def allocate_invoice_number(*, year: int) -> str:
    """Take the next invoice number of `year` (`2026-0001`, `2026-0002`, …).

    One `INSERT … ON CONFLICT DO UPDATE … RETURNING` on `renos.invoice_number_counters`: the year's row
    stays locked until the calling transaction ends, so concurrent callers queue, and a rolled-back
    invoice gives its number back — no gaps, no duplicates. Call it inside the transaction that saves
    the invoice; outside one the number would be spent even if the invoice is never saved.
    """
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            "allocate_invoice_number() must run inside the transaction that saves the invoice."
        )
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise ValidationError({"year": f"year must be a four-digit year, not {year!r}."})
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
        description = line["description"]
        if not isinstance(description, str) or not description.strip():
            raise ValidationError({"lines": f"{where}: description must be a non-empty text."})
        try:
            quantity = decimal_value(line.get("quantity", Decimal("1")), name="quantity")
            unit_price = decimal_value(line["unit_price"], name="unit_price")
        except ValidationError as error:
            raise ValidationError({"lines": f"{where}: {' '.join(error.messages)}"}) from None
        if quantity <= 0:
            raise ValidationError({"lines": f"{where}: quantity must be positive, not {quantity}."})
        item = InvoiceLineItem(
            description=description.strip(), quantity=quantity, unit_price=unit_price, sort_order=number - 1
        )
        item.compute_amount()
        try:
            item.full_clean(exclude=["invoice"], validate_constraints=False)
        except ValidationError as error:
            raise ValidationError({"lines": f"{where}: {' '.join(error.messages)}"}) from None
        items.append(item)
    return items


def _vat(subtotal: Decimal, vat_rate: Decimal) -> Decimal:
    return (subtotal * vat_rate / 100).quantize(CENT, ROUND_HALF_UP)


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
    subtotal = sum((item.amount for item in items), Decimal("0.00"))
    if subtotal < 0:
        raise ValidationError({"lines": f"The lines add up to {subtotal}; an invoice cannot be negative."})
    vat_amount = _vat(subtotal, vat_rate)
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
    invoice.full_clean(exclude=["invoice_number"], validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        # Taken last, right before the insert: the year's counter row is locked until commit.
        invoice.invoice_number = allocate_invoice_number(year=today.year)
        invoice.save(force_insert=True)
        for item in items:
            item.invoice = invoice
        InvoiceLineItem.objects.bulk_create(items)
    return invoice


def recalculate_invoice(*, invoice: Invoice) -> Invoice:
    """Set subtotal, VAT and total from the invoice's lines (after lines were edited by hand)."""
    _require_saved(invoice, Invoice, name="invoice")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        subtotal = locked.lines.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
        locked.subtotal = subtotal
        locked.vat_amount = _vat(subtotal, locked.vat_rate)
        locked.total = subtotal + locked.vat_amount
        if locked.paid_amount is not None and locked.paid_amount > locked.total:
            raise ValidationError(
                {
                    "lines": f"The new total {locked.total} is below "
                    f"what was already paid ({locked.paid_amount})."
                }
            )
        fields = ["subtotal", "vat_amount", "total", "updated_at"]
        locked.save(update_fields=fields)
    _copy_fields(locked, invoice, fields)
    return locked


def _lock_invoice(invoice: Invoice) -> Invoice:
    _require_saved(invoice, Invoice, name="invoice")
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def mark_invoice_sent(*, invoice: Invoice) -> Invoice:
    """A draft invoice has been sent to the customer."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.status != InvoiceStatus.DRAFT:
            raise ValidationError(
                {"status": f"Invoice {locked.invoice_number} is {locked.status}, not a draft."}
            )
        locked.status = InvoiceStatus.SENT
        locked.sent_at = _now()
        fields = ["status", "sent_at", "updated_at"]
        locked.save(update_fields=fields)
    _copy_fields(locked, invoice, fields)
    return locked


def cancel_invoice(*, invoice: Invoice) -> Invoice:
    """Cancel an invoice nobody has paid on; it keeps its number (numbers are never reused)."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.status == InvoiceStatus.CANCELLED or locked.paid_amount:
            state = "cancelled" if locked.status == InvoiceStatus.CANCELLED else "(partly) paid"
            raise ValidationError(
                {"status": f"Invoice {locked.invoice_number} is {state}; it cannot be cancelled."}
            )
        locked.status = InvoiceStatus.CANCELLED
        fields = ["status", "updated_at"]
        locked.save(update_fields=fields)
    _copy_fields(locked, invoice, fields)
    return locked


def mark_invoice_reminder_sent(*, invoice: Invoice) -> Invoice:
    """A payment reminder went out; a sent invoice past its due date becomes overdue."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        reminding = (InvoiceStatus.SENT, InvoiceStatus.OVERDUE, InvoiceStatus.PARTIALLY_PAID)
        if locked.status not in reminding:
            raise ValidationError(
                {
                    "status": f"Invoice {locked.invoice_number} is {locked.status}; "
                    "only sent, partially paid or overdue invoices get reminders."
                }
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
    """
    amount = decimal_value(amount, name="amount")
    if amount <= 0 or amount != amount.quantize(CENT):
        raise ValidationError({"amount": f"amount must be positive and in whole øre, not {amount}."})
    if method not in PaymentMethod.values:
        raise ValidationError(
            {"method": f"Unknown payment method {method!r}; use one of {', '.join(PaymentMethod.values)}."}
        )
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.status in (InvoiceStatus.PAID, InvoiceStatus.CANCELLED):
            raise ValidationError({"status": f"Invoice {locked.invoice_number} is already {locked.status}."})
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
        locked.payment_ref = (reference or "").strip() or None
        fields = ["paid_amount", "status", "paid_at", "payment_method", "payment_ref", "updated_at"]
        locked.save(update_fields=fields)
        Customer.objects.filter(pk=locked.customer_id).update(
            total_revenue=F("total_revenue") + amount, updated_at=now
        )
    _copy_fields(locked, invoice, fields)
    return locked


# --- analytics -----------------------------------------------------------------------------------------


def track_metric(*, date: dt.date, metric: str, value: Decimal | int | float) -> Analytics:
    """Set the value of a daily metric: one upsert on (date, metric); the last value wins."""
    if isinstance(date, dt.datetime) or not isinstance(date, dt.date):
        raise ValidationError({"date": f"date must be a date (not a datetime), not {date!r}."})
    metric = (metric or "").strip() if isinstance(metric, str) else ""
    if not metric:
        raise ValidationError({"metric": "metric must be a non-empty name."})
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError({"value": f"value must be a finite number, not {value}."})
        value = str(value)
    number = decimal_value(value, name="value").quantize(Decimal("0.0001"), ROUND_HALF_UP)
    entry = Analytics(date=date, metric=metric, value=number)
    entry.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        Analytics.objects.bulk_create(
            [entry],
            update_conflicts=True,
            unique_fields=["date", "metric"],
            update_fields=["value", "updated_at"],
        )
    return Analytics.objects.get(date=date, metric=metric)
