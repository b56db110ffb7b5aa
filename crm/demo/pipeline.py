"""Deals in every stage of the pipeline, with their product lines, made by crm's factories."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm import models
from crm.factories import DealFactory, DealProductFactory
from shared.money import CENT
from shared.seeding import SeedContext, built, stable_id, stamped, weighted_choice

from .data import LOST_REASONS, PROBABILITY, PRODUCTS, STAGES


def deals(ctx: SeedContext, contacts: list[dict]) -> tuple[list[dict], list[dict]]:
    """The deals and, apart, all their product lines."""
    rows, products = [], []
    for index in range(ctx.pick(20, 600, 8_000)):
        # The first five deals take the five stages in turn: every stage is present at every size.
        stage = list(STAGES)[index] if index < len(STAGES) else weighted_choice(ctx, STAGES)
        contact = ctx.rng.choice(contacts)
        deal, lines = _deal(ctx, index, stage, contact)
        products.extend(lines)
        rows.append(deal)
    return rows, products


def _deal(ctx: SeedContext, index: int, stage: str, contact: dict) -> tuple[dict, list[dict]]:
    """A deal of the contact (and the contact's company), worth the sum of its lines if it has any.

    DealFactory gives it the status of its stage and, closed, its close date and a probability of 100
    (won) or 0 (lost), by the services' own closing rule (create_deal, move_deal)."""
    rng = ctx.rng
    company = contact["_company"]
    created = max(ctx.moment(days_back=365), contact["created_at"])
    deal_id = stable_id("crm.deals", ctx.random_seed, index)
    lines = _lines(ctx, deal_id, created)
    value = (
        sum((line["total"] for line in lines), Decimal("0.00"))
        if lines
        else Decimal(rng.randrange(5, 400) * 500).quantize(CENT)
    )
    closed_on = min(created + dt.timedelta(days=rng.randrange(7, 90)), ctx.now).date()
    # The pipeline is drawn before the probability, the expected close date after it (the seed's order).
    pipeline = "sales" if rng.random() < 0.9 else "partners"
    deal = built(
        DealFactory,
        id=deal_id,
        title=f"{(lines[0]['product_name'] if lines else 'Rengøringsaftale')} – "
        f"{company['name'] if company else contact['last_name']}",
        value=value,
        stage=stage,
        closed_on=closed_on,
        pipeline=pipeline,
        **_open_probability(ctx, stage),
        contact_id=contact["id"],
        company_id=company["id"] if company else None,
        owner=contact["owner"],
        expected_close_date=(created + dt.timedelta(days=rng.randrange(30, 120))).date(),
        lost_reason=rng.choice(LOST_REASONS) if stage == models.Deal.Stage.CLOSED_LOST else None,
        description=f"{len(lines)} produktlinjer" if lines else None,
        tags=["tilbud"] if stage == models.Deal.Stage.PROPOSAL else [],
        custom_fields={"kilde": contact["source"]},
    )
    return stamped(deal, created), lines


def _open_probability(ctx: SeedContext, stage: str) -> dict:
    """An open deal's probability, drawn within its stage's range; a closed deal's is DealFactory's."""
    if stage not in PROBABILITY:
        return {}
    low, high = PROBABILITY[stage]
    return {"probability": ctx.rng.randrange(low, high + 1)}


def _lines(ctx: SeedContext, deal_id, created: dt.datetime) -> list[dict]:
    """None to three product lines; DealProductFactory totals each by `crm.services.line_total`."""
    rng = ctx.rng
    lines = []
    for number in range(rng.randrange(0, 4)):
        product, unit, price = rng.choice(PRODUCTS)
        quantity = Decimal(rng.choice([1, 2, 4, 12, 26, 52]) if unit != "timer" else rng.randrange(3, 40))
        discount = Decimal(rng.choice([0, 0, 0, 5, 10, 12.5, 15]))
        line = built(
            DealProductFactory,
            id=stable_id("crm.deal_products", deal_id, number),
            deal_id=deal_id,
            product_name=product,
            quantity=quantity.quantize(CENT),
            unit_price=Decimal(price),
            discount=discount.quantize(CENT),
            description=f"{quantity} {unit}",
        )
        lines.append(stamped(line, created))
    return lines
