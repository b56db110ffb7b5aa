"""Deals in every stage of the pipeline, with their product lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm import models
from crm.services import _close_fields, line_total
from shared.money import CENT
from shared.seeding import SeedContext, stable_id, stamped, weighted_choice

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
    close_date = min(created + dt.timedelta(days=rng.randrange(7, 90)), ctx.now).date()
    # Status, close date and a closed deal's probability by the services' own rule (create_deal, move_deal).
    closing = _close_fields(stage, close_date=close_date)
    # The pipeline is drawn before the probability, the expected close date after it (the seed's order).
    pipeline = "sales" if rng.random() < 0.9 else "partners"
    if closing["status"] == models.Deal.Status.OPEN:
        low, high = PROBABILITY[stage]
        probability = rng.randrange(low, high + 1)
    else:
        probability = closing["probability"]
    deal = stamped(
        {
            "id": deal_id,
            "title": f"{(lines[0]['product_name'] if lines else 'Rengøringsaftale')} – "
            f"{company['name'] if company else contact['last_name']}",
            "value": value,
            "currency": "DKK",
            "stage": stage,
            "pipeline": pipeline,
            "probability": probability,
            "contact": contact["id"],
            "company": company["id"] if company else None,
            "owner": contact["owner"],
            "expected_close_date": (created + dt.timedelta(days=rng.randrange(30, 120))).date(),
            "actual_close_date": closing["actual_close_date"],
            "status": closing["status"],
            "lost_reason": rng.choice(LOST_REASONS) if closing["status"] == models.Deal.Status.LOST else None,
            "description": f"{len(lines)} produktlinjer" if lines else None,
            "tags": ["tilbud"] if stage == models.Deal.Stage.PROPOSAL else [],
            "custom_fields": {"kilde": contact["source"]},
            "_contact": contact,
        },
        created,
    )
    return deal, lines


def _lines(ctx: SeedContext, deal_id, created: dt.datetime) -> list[dict]:
    """None to three product lines, each totalled by `crm.services.line_total`."""
    rng = ctx.rng
    lines = []
    for number in range(rng.randrange(0, 4)):
        product, unit, price = rng.choice(PRODUCTS)
        quantity = Decimal(rng.choice([1, 2, 4, 12, 26, 52]) if unit != "timer" else rng.randrange(3, 40))
        discount = Decimal(rng.choice([0, 0, 0, 5, 10, 12.5, 15]))
        unit_price = Decimal(price)
        lines.append(
            stamped(
                {
                    "id": stable_id("crm.deal_products", deal_id, number),
                    "deal": deal_id,
                    "product_name": product,
                    "quantity": quantity.quantize(CENT),
                    "unit_price": unit_price,
                    "discount": discount.quantize(CENT),
                    "total": line_total(quantity=quantity, unit_price=unit_price, discount=discount),
                    "description": f"{quantity} {unit}",
                },
                created,
            )
        )
    return lines
