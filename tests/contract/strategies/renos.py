"""Argument strategies of `renos.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from .base import EMAIL, JSON_OBJECT, MONEY, SPECS, aware, maybe, slug, spec, words


@spec("renos.services.anonymise_customer")
def _(w):
    return {"customer": st.just(w.customer)}


@spec("renos.services.create_lead")
def _(w):
    return {
        "idempotency_key": maybe(slug()),
        # keyword fields of renos.leads
        "name": words(),
        "email": maybe(EMAIL),
        "customer": maybe(st.just(w.customer)),
        "square_meters": maybe(st.integers(1, 10_000)),
        "preferred_dates": st.lists(slug(10), max_size=3),
        "estimated_value": maybe(MONEY),
        "enrichment_data": maybe(JSON_OBJECT),
    }


@spec("renos.services.quote_lead")
def _(w):
    return {
        "lead": st.just(w.lead),
        "hourly_rate": st.decimals(min_value=0, max_value=2000, places=2),
        "estimated_hours": st.decimals(min_value=Decimal("0.5"), max_value=100, places=2),
        "vat_rate": st.decimals(min_value=0, max_value=100, places=2),
    }


@spec("renos.services.book")
def _(w):
    return {
        "scheduled_at": aware(),
        "customer": maybe(st.just(w.customer)),
        "lead": maybe(st.just(w.lead)),
        "quote": maybe(st.just(w.quote)),
        # keyword fields of renos.bookings
        "service_type": maybe(words()),
        "estimated_duration": st.integers(1, 24 * 60),
        "notes": maybe(words()),
    }


for _name in ("start_timer", "start_break", "end_break", "stop_timer"):

    @spec(f"renos.services.{_name}")
    def _(w):
        return {"booking": st.sampled_from([w.booking, w.running_booking])}


SPECS["renos.services.start_break"] = lambda w: {
    "booking": st.sampled_from([w.booking, w.running_booking]),
    "reason": maybe(words()),
}


@spec("renos.services.allocate_invoice_number")
def _(w):
    return {"year": st.integers(1900, 2200)}


_LINE = st.fixed_dictionaries(
    {"description": words(), "unit_price": MONEY},
    optional={"quantity": st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)},
)


@spec("renos.services.create_invoice")
def _(w):
    return {
        "customer": st.just(w.customer),
        "lines": st.lists(_LINE, min_size=1, max_size=4),
        "booking": maybe(st.just(w.booking)),
        "vat_rate": st.decimals(min_value=0, max_value=100, places=2),
        "due_in_days": st.integers(0, 365),
    }


for _name in ("recalculate_invoice", "mark_invoice_sent", "cancel_invoice", "mark_invoice_reminder_sent"):

    @spec(f"renos.services.{_name}")
    def _(w):
        return {"invoice": st.just(w.invoice)}


@spec("renos.services.mark_invoice_paid")
def _(w):
    return {
        "invoice": st.just(w.invoice),
        "amount": st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2),
        "method": st.sampled_from(["bank_transfer", "mobilepay", "card", "cash"]),
        "reference": maybe(words()),
    }


@spec("renos.services.track_metric")
def _(w):
    return {
        "date": st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
        "metric": slug(),
        "value": st.decimals(min_value=-(10**6), max_value=10**6, places=2) | st.integers(-(10**6), 10**6),
    }
