"""Daily crm figures, computed from the seeded rows, made by CrmMetricFactory."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from crm import models
from crm.factories import CrmMetricFactory
from shared.seeding import SeedContext, built, stable_id, stamped

METRICS = ("new_contacts", "new_deals", "deals_won", "won_value", "activities")


def daily_metrics(
    ctx: SeedContext, contacts: list[dict], deals: list[dict], activities: list[dict]
) -> list[dict]:
    """Daily figures computed from the seeded rows, for the last N days before the seed's now."""
    days = ctx.pick(30, 180, 365)
    first = ctx.now.date() - dt.timedelta(days=days)
    figures: dict[tuple, float] = defaultdict(float)
    for contact in contacts:
        figures[contact["created_at"].date(), "new_contacts"] += 1
    for deal in deals:
        figures[deal["created_at"].date(), "new_deals"] += 1
        if deal["status"] == models.Deal.Status.WON:
            figures[deal["actual_close_date"], "deals_won"] += 1
            figures[deal["actual_close_date"], "won_value"] += float(deal["value"])
    for activity in activities:
        figures[activity["occurred_at"].date(), "activities"] += 1
    rows = []
    for offset in range(days):
        date = first + dt.timedelta(days=offset)
        for metric in METRICS:
            row = built(
                CrmMetricFactory,
                id=stable_id("crm.metrics", date, metric),
                date=date,
                metric=metric,
                value=round(figures[date, metric], 2),
                metadata={"source": "seed"},
            )
            rows.append(stamped(row, dt.datetime.combine(date, dt.time(23, 55), tzinfo=dt.UTC)))
    return rows
