"""Daily analytics computed from the seeded rows, the agent's task executions, competitor prices and the
service catalogue."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from renos import models
from renos.factories import (
    AnalyticsFactory,
    CompetitorPricingFactory,
    LabelFactory,
    ServiceFactory,
    TaskExecutionFactory,
)
from renos.models import BookingStatus
from shared.seeding import (
    built,
    slug,
    stable_id,
    stamped,
    weighted_choice,
)

from .data import (
    COMPETITORS,
    LABELS,
    TASK_TYPES,
    _hex,
)


class OperationsRows:
    """Analytics, task executions, competitor prices and the catalogue (a mixin of the renos demo builder)."""

    # --- operations ---------------------------------------------------------------------------------

    def analytics(self, leads, bookings, invoices) -> list[dict]:
        """Daily figures computed from the seeded rows (the last N days before the seed's now)."""
        days = self.ctx.pick(30, 180, 365)
        first = self.ctx.now.date() - dt.timedelta(days=days)
        figures: dict[tuple, Decimal] = defaultdict(Decimal)
        for lead in leads:
            figures[lead["created_at"].date(), "leads_created"] += 1
        for booking in bookings:
            figures[booking["created_at"].date(), "bookings_created"] += 1
            if booking["status"] == BookingStatus.COMPLETED:
                figures[booking["actual_end_time"].date(), "bookings_completed"] += 1
                figures[booking["actual_end_time"].date(), "hours_worked"] += (
                    Decimal(booking["actual_duration"]) / 60
                )
        for invoice in invoices:
            figures[invoice["issue_date"], "invoices_issued"] += 1
            if invoice["paid_at"]:
                figures[invoice["paid_at"].date(), "revenue"] += invoice["paid_amount"]
        metrics = [
            "leads_created",
            "bookings_created",
            "bookings_completed",
            "hours_worked",
            "invoices_issued",
            "revenue",
        ]
        rows = []
        for offset in range(days):
            date = first + dt.timedelta(days=offset)
            for metric in metrics:
                at = dt.datetime.combine(date, dt.time(23, 55), tzinfo=dt.UTC)
                row = built(
                    AnalyticsFactory,
                    id=stable_id("renos.analytics", date, metric),
                    date=date,
                    metric=metric,
                    value=Decimal(figures[date, metric]).quantize(Decimal("0.0001"), ROUND_HALF_UP),
                    metadata={"source": "seed"},
                )
                rows.append(stamped(row, at))
        return rows

    def task_executions(self, leads) -> list[dict]:
        ctx, rng = self.ctx, self.rng
        statuses = models.TaskExecutionStatus
        rows = []
        for index in range(ctx.pick(30, 800, 8_000)):
            task_type, intent = rng.choice(TASK_TYPES)
            lead = rng.choice(leads)
            status = weighted_choice(
                ctx,
                {
                    statuses.SUCCESS: 85,
                    statuses.FAILED: 8,
                    statuses.CANCELLED: 2,
                    statuses.PENDING: 3,
                    statuses.RUNNING: 2,
                },
            )
            at = ctx.moment(days_back=365)
            finished = status in (statuses.SUCCESS, statuses.FAILED, statuses.CANCELLED)
            execution = built(
                TaskExecutionFactory,
                id=stable_id("renos.task_executions", ctx.random_seed, index),
                task_type=task_type,
                task_payload={"lead_id": str(lead["id"]), "source": lead["source"]},
                status=status,
                result={"ok": True, "lead_status": lead["status"]} if status == statuses.SUCCESS else None,
                error="Gmail API: 503 Service Unavailable" if status == statuses.FAILED else None,
                duration=rng.randrange(40, 8_000) if finished else None,
                trace_id=_hex(ctx, 32),
                session_id=lead["session_id"],
                user_id=None,
                intent=intent,
                confidence=round(rng.uniform(0.55, 0.99), 3),
                correction_type="intent" if rng.random() < 0.03 else None,
                executed_at=at,
            )
            rows.append(stamped(execution, at))
        return rows

    def competitor_pricing(self) -> list[dict]:
        ctx, rng = self.ctx, self.rng
        rows = []
        for months_back in range(ctx.pick(2, 12, 24)):
            at = self.ctx.now - dt.timedelta(days=30 * months_back + 1)
            for competitor in COMPETITORS:
                base = Decimal(rng.randrange(299, 399))
                prices = built(
                    CompetitorPricingFactory,
                    id=stable_id("renos.competitor_pricing", competitor, at.date()),
                    competitor=competitor,
                    website_url=f"https://www.{slug(competitor).replace('.', '')}.dk/priser",
                    pricing_data={
                        "fast_rengoering_per_time": f"{base}.00",
                        "hovedrengoering_per_time": f"{base + 40}.00",
                        "flytterengoering_per_m2": f"{rng.randrange(28, 45)}.00",
                        "valuta": "DKK",
                        "inkl_moms": True,
                    },
                    scraped_at=at,
                    credits_used=rng.randrange(1, 4),
                )
                rows.append(stamped(prices, at))
        return rows

    def catalogue(self) -> tuple[list[dict], list[dict]]:
        at = self.ctx.now - dt.timedelta(days=800)
        services = [
            stamped(
                built(
                    ServiceFactory,
                    id=stable_id("renos.services", service["name"]),
                    name=service["name"],
                    description=f"{service['description']} Pris pr. time ekskl. moms.",
                    price=service["price"],
                    duration=service["duration"],
                ),
                at,
            )
            for service in self.services
        ]
        labels = [
            stamped(built(LabelFactory, id=stable_id("renos.labels", name), name=name), at) for name in LABELS
        ]
        return services, labels
