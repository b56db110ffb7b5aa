"""Bookings: a cleaning job booked for a customer and/or a lead, optionally from a quote."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shared import validation as v

from ..models import Booking, Customer, Lead, LeadStatus, Quote, QuoteStatus
from .common import _editable_fields, _now, _require_saved
from .customers import _count_on_customer
from .timer import _TIMER_FIELDS

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
        lead = _lead_of_quote(quote, lead=lead)
        fields.setdefault("estimated_duration", math.ceil(quote.estimated_hours * 60))
    customer = _customer_of(customer=customer, lead=lead)
    booking = Booking(scheduled_at=scheduled_at, customer=customer, lead=lead, quote=quote, **fields)
    v.full_clean(booking, names={"__all__": "scheduled_at"})
    with transaction.atomic():
        booking.save(force_insert=True)
        _update_parties(customer=customer, lead=lead, quote=quote)
    for obj in (customer, lead, quote):
        if obj is not None:
            obj.refresh_from_db()
    return booking


def _lead_of_quote(quote: Quote, *, lead: Lead | None) -> Lead:
    """The quote's lead where none is given; refuses a quote of another lead, or rejected or expired."""
    _require_saved(quote, Quote, name="quote")
    if lead is None:
        lead = quote.lead
    elif quote.lead_id != lead.pk:
        raise ValidationError({"quote": "The quote was made for another lead."})
    if quote.status in (QuoteStatus.REJECTED, QuoteStatus.EXPIRED):
        raise ValidationError({"quote": f"The quote is {quote.status}; it cannot be booked."})
    return lead


def _customer_of(*, customer: Customer | None, lead: Lead | None) -> Customer | None:
    """The customer given, else the lead's; refuses a lead of another customer, and neither at all."""
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
    return customer


def _update_parties(*, customer: Customer | None, lead: Lead | None, quote: Quote | None) -> None:
    """What a new booking changes on its customer, lead and quote: the counters, the lead's link and status,
    the quote's status."""
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
