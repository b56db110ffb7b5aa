"""Seed the renos schema: a cleaning company's year, laid out in the twelve months before the seed's now.

Customers, leads (some quoted, some booked), bookings of existing customers with their work timer and
breaks, cleaning plans with tasks and the bookings that carried them out, invoices with lines, e-mail
threads with messages, conversations, AI replies and escalations, chat sessions with messages, daily
analytics computed from the seeded rows, the agent's task executions, competitor prices, the service
catalogue and labels.

Every row is made by renos' own factory (`renos.factories`, through `shared.seeding.built`): the demo
passes what it chooses (its seeded draws, stable ids, times around the seed's now) and the factory
derives the rest by the rules the tests get too. No renos table comes near the bulk history that other
apps load as plain dicts (at `large` the biggest, invoice lines and bookings, hold a few tens of
thousands of rows). Every row satisfies the table's checks and follows what `renos.services` would have
written, through the same rules (`renos.pricing` for money, `renos.timekeeping` for the timer):
- a line's amount is quantity × unit price rounded to øre; an invoice's subtotal is the sum of its
  lines, VAT is subtotal × 25 % rounded to øre, total = subtotal + VAT; paid_amount ≤ total;
- a quote's subtotal is rate × hours, its total subtotal + VAT;
- a completed booking's actual_duration is stop − start less its breaks (`minutes_between`), with the
  variance and the efficiency score as `stop_timer` computes them; an in-progress booking has at most
  one open break;
- a customer's total_leads, total_bookings and total_revenue (paid amounts) are counted from its rows;
- invoice numbers are `<year>-<nnnn>` per year of issue, and `invoice_number_counters` is raised to the
  highest seeded number of each year (never lowered), so `renos.services.create_invoice` continues
  after them. A seeded number that a real invoice already holds is left out (with its lines).

Customers get addresses at CUSTOMER_DOMAIN (unique e-mails that no real customer has).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from renos import models
from renos.factories import EmailIngestRunFactory
from shared.seeding import (
    SeedContext,
    built,
    load,
    stable_id,
    stamped,
    truncate_app,
    without_private_keys,
)

from .billing import BillingRows, _raise_counters, _without_taken_numbers
from .data import (
    SERVICES,
)
from .insights import OperationsRows
from .messages import MessageRows
from .sales import SalesRows
from .work import WorkRows


class _Renos(SalesRows, WorkRows, BillingRows, MessageRows, OperationsRows):
    """Builds the rows of one seed in memory (a few MB even at `large`), then loads them in FK order."""

    def __init__(self, ctx: SeedContext):
        self.ctx = ctx
        self.rng = ctx.rng
        self.faker = ctx.faker
        self.services = [
            {"name": name, "description": text, "price": Decimal(price), "duration": minutes}
            for name, text, price, minutes in SERVICES
        ]


def _count(customers, leads, bookings, invoices) -> None:
    """Each customer's counters, as renos.services keeps them."""
    by_id = {customer["id"]: customer for customer in customers}

    def touch(customer, at):
        if customer["last_contact_at"] is None or at > customer["last_contact_at"]:
            customer["last_contact_at"] = at

    for lead in leads:
        if lead["customer"]:
            by_id[lead["customer"]]["total_leads"] += 1
            touch(by_id[lead["customer"]], lead["created_at"])
    for booking in bookings:
        if booking["customer"]:
            by_id[booking["customer"]]["total_bookings"] += 1
            touch(by_id[booking["customer"]], booking["created_at"])
    for invoice in invoices:
        if invoice["paid_amount"]:
            by_id[invoice["customer"]]["total_revenue"] += invoice["paid_amount"]


def seed(ctx: SeedContext) -> None:
    build = _Renos(ctx)
    customers = build.customers()
    leads = build.leads(customers)
    quotes = build.quotes(leads)
    bookings, breaks = build.bookings(leads, customers)
    plans, tasks, plan_bookings = build.plans(customers, bookings)
    invoices, lines = build.invoices(bookings, customers)
    threads, messages, conversations = build.email(customers, leads)
    responses, escalations = build.responses_and_escalations(leads)
    sessions, chat_messages = build.chats()
    analytics = build.analytics(leads, bookings, invoices)
    executions = build.task_executions(leads)
    pricing = build.competitor_pricing()
    services, labels = build.catalogue()
    _count(customers, leads, bookings, invoices)
    invoices, lines = _without_taken_numbers(invoices, lines)

    for model, rows in (
        (models.Service, services),
        (models.Label, labels),
        (models.Customer, customers),
        (models.Lead, leads),
        (models.Quote, quotes),
        (models.Booking, bookings),
        (models.Break, breaks),
        (models.CleaningPlan, plans),
        (models.CleaningTask, tasks),
        (models.CleaningPlanBooking, plan_bookings),
        (models.Invoice, invoices),
        (models.InvoiceLineItem, lines),
    ):
        load(ctx, model, without_private_keys(rows), total=len(rows))
    _raise_counters(ctx, invoices)
    for model, rows in (
        (models.EmailThread, threads),
        (models.Conversation, conversations),
        (models.EmailMessage, messages),
        (models.EmailResponse, responses),
        (models.Escalation, escalations),
        (models.EmailIngestRun, _ingest_runs(ctx)),
        (models.ChatSession, sessions),
        (models.ChatMessage, chat_messages),
        (models.Analytics, analytics),
        (models.TaskExecution, executions),
        (models.CompetitorPricing, pricing),
    ):
        load(ctx, model, without_private_keys(rows), total=len(rows))


def _ingest_runs(ctx: SeedContext) -> list[dict]:
    """One Gmail ingest a day at 05:00, a few of them failed; EmailIngestRunFactory adds up the total."""
    rows = []
    for offset in range(ctx.pick(7, 90, 365)):
        started = (ctx.now - dt.timedelta(days=offset)).replace(hour=5, minute=0)
        failed = ctx.rng.random() < 0.03
        run = built(
            EmailIngestRunFactory,
            id=stable_id("renos.email_ingest_runs", started),
            started_at=started,
            new_emails=ctx.rng.randrange(0, 25),
            updated_emails=ctx.rng.randrange(0, 40),
            finished_at=started + dt.timedelta(seconds=ctx.rng.randrange(20, 400)),
            status=models.EmailIngestRunStatus.FAILED if failed else models.EmailIngestRunStatus.COMPLETED,
            errors=1 if failed else 0,
            error_log=[{"error": "Gmail API: 429 rate limit", "at": started.isoformat()}] if failed else None,
        )
        rows.append(stamped(run, started))
    return rows


def reset(ctx: SeedContext) -> None:
    truncate_app(ctx)
