"""Argument strategies of `crm.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from .base import EMAIL, JSON_OBJECT, MONEY, aware, maybe, slug, spec, words


@spec("crm.services.create_company")
def _(w):
    return {
        "name": words(),
        "country": words(),
        # keyword fields of crm.companies
        "website": maybe(st.just("https://tekup.dk")),
        "revenue": maybe(MONEY),
        "status": st.sampled_from(["active", "inactive", "prospect", "customer"]),
        "tags": st.lists(slug(), max_size=3),
        "custom_fields": maybe(JSON_OBJECT),
    }


@spec("crm.services.create_contact")
def _(w):
    return {
        "first_name": words(),
        "last_name": words(),
        "email": maybe(EMAIL),
        "company": maybe(st.just(w.company)),
        "next_follow_up": maybe(aware()),
        "linkedin": maybe(st.just("https://linkedin.com/in/x")),
    }


_STAGES = ["qualification", "proposal", "negotiation", "closed_won", "closed_lost"]


@spec("crm.services.create_deal")
def _(w):
    return {
        "title": words(),
        "value": MONEY,
        "owner": EMAIL,
        "stage": st.sampled_from(_STAGES),
        "contact": maybe(st.just(w.contact)),
        "company": maybe(st.just(w.company)),
        "currency": st.sampled_from(["DKK", "EUR", "usd"]),
        "pipeline": slug(),
        "probability": maybe(st.integers(0, 100)),
        "expected_close_date": maybe(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))),
    }


@spec("crm.services.move_deal")
def _(w):
    return {
        "deal": st.sampled_from([w.deal, w.won_deal]),
        "stage": st.sampled_from(_STAGES),
        "lost_reason": maybe(words()),
    }


@spec("crm.services.reopen_deal")
def _(w):
    return {"deal": st.sampled_from([w.deal, w.won_deal]), "stage": st.sampled_from(_STAGES)}


@spec("crm.services.line_total")
def _(w):
    return {
        "quantity": st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2),
        "unit_price": MONEY,
        "discount": st.decimals(min_value=0, max_value=100, places=2),
    }


@spec("crm.services.add_deal_product")
def _(w):
    return {
        "deal": st.just(w.deal),
        "product_name": words(),
        "unit_price": MONEY,
        "quantity": st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
        "discount": st.decimals(min_value=0, max_value=100, places=2),
        "description": maybe(words()),
    }


@spec("crm.services.log_activity")
def _(w):
    return {
        "type": st.sampled_from(["call", "email", "meeting", "note", "task_completed"]),
        "owner": EMAIL,
        "subject": maybe(words()),
        "description": maybe(words()),
        "contact": maybe(st.just(w.contact)),
        "company": st.just(w.company),
        "deal": maybe(st.just(w.deal)),
        "duration_minutes": maybe(st.integers(0, 600)),
        "outcome": maybe(words()),
        "occurred_at": maybe(aware()),
    }


@spec("crm.services.pipeline_summary")
def _(w):
    return {"pipeline": slug()}
