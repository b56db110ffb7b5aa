"""Customers, leads and quotes of the demo year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from renos.factories import CustomerFactory, LeadFactory, QuoteFactory
from renos.models import CustomerStatus, LeadStatus, QuoteStatus
from renos.pricing import price_for_minutes
from shared.seeding import (
    built,
    slug,
    stable_id,
    stamped,
    weighted_choice,
)

from .data import (
    CUSTOMER_DOMAIN,
    LEAD_DOMAINS,
    LEAD_SOURCES,
    TO_BOOK,
    _uuid,
)

# What becomes of a lead (weights): a customer's is mostly booked, a newcomer's anything.
CUSTOMER_LEAD_PLANS = {TO_BOOK: 7, LeadStatus.QUOTED: 1, LeadStatus.LOST: 1, LeadStatus.CONTACTED: 1}
NEW_LEAD_PLANS = {
    LeadStatus.NEW: 3,
    LeadStatus.CONTACTED: 2,
    LeadStatus.QUALIFIED: 2,
    LeadStatus.QUOTED: 2,
    LeadStatus.LOST: 2,
    LeadStatus.SPAM: 1,
}


class SalesRows:
    """Customers, leads (some quoted, some booked) and quotes (a mixin of the renos demo builder)."""

    def customers(self) -> list[dict]:
        ctx, rng = self.ctx, self.rng
        rows = []
        for index in range(ctx.pick(20, 400, 5_000)):
            name = self.faker.name()
            email = f"{slug(name)}.{index}@{CUSTOMER_DOMAIN}"
            business = rng.random() < 0.25
            created = self.ctx.now - dt.timedelta(seconds=int((400 + rng.random() * 400) * 86400))
            status = weighted_choice(
                ctx, {CustomerStatus.ACTIVE: 88, CustomerStatus.INACTIVE: 9, CustomerStatus.ARCHIVED: 3}
            )
            tags = ["erhverv" if business else "privat"] + (["fast"] if rng.random() < 0.5 else [])
            customer = built(
                CustomerFactory,
                id=stable_id("renos.customers", email),
                name=name,
                email=email,
                phone=self.faker.phone_number(),
                address=self.faker.address().replace("\n", ", "),
                company_name=self.faker.company() if business else None,
                notes=rng.choice([None, None, "Nøgle i nøgleboks", "Kat i huset", "Parkering i gården"]),
                status=status,
                tags=tags,
                # Counted from the seeded leads, bookings and invoices once they are laid out.
                total_leads=0,
                total_bookings=0,
                total_revenue=Decimal("0.00"),
                last_contact_at=None,
            )
            rows.append(stamped(customer, created))
        return rows

    def leads(self, customers: list[dict]) -> list[dict]:
        """Leads of the demo year: customers asking again (most of them booked), and people who are no
        customer yet."""
        return [self._lead(index, customers) for index in range(self.ctx.pick(30, 700, 8_000))]

    def _lead(self, index: int, customers: list[dict]) -> dict:
        ctx, rng = self.ctx, self.rng
        customer = rng.choice(customers) if rng.random() < 0.6 else None
        created = ctx.moment(days_back=365)
        who, plan = self._lead_contact(customer)
        service = rng.choice(self.services)
        square_meters = Decimal(rng.randrange(35, 220))
        score = rng.randrange(5, 100)
        source = rng.choice(LEAD_SOURCES)
        lead_id = stable_id("renos.leads", ctx.random_seed, index)
        # LeadFactory gives the rooms, the estimated size and the priority (from square metres and score).
        lead = built(
            LeadFactory,
            id=lead_id,
            session_id=_uuid(ctx) if source == "website" else None,
            customer_id=customer["id"] if customer else None,
            source=source,
            name=who["name"],
            email=who["email"],
            phone=who["phone"],
            address=who["address"],
            square_meters=square_meters,
            task_type=service["name"].lower(),
            preferred_dates=[
                (created + dt.timedelta(days=rng.randrange(3, 30))).date().isoformat()
                for _ in range(rng.randrange(0, 3))
            ],
            status=plan,  # TO_BOOK is settled once the booking is laid out
            email_thread_id=None,
            follow_up_attempts=rng.randrange(0, 3)
            if plan in (LeadStatus.CONTACTED, LeadStatus.QUOTED)
            else 0,
            last_follow_up_date=created + dt.timedelta(days=3) if plan == LeadStatus.QUOTED else None,
            idempotency_key=f"demo:{lead_id}" if source == "website" else None,
            company_name=customer["company_name"] if customer else None,
            industry=None,
            estimated_value=price_for_minutes(service["price"], service["duration"]),
            enrichment_data=None,
            last_enriched=None,
            score=score,
            last_scored=created + dt.timedelta(minutes=5),
            score_metadata={"model": "renos-scoring-v2", "signals": ["kvm", "kilde"]},
        )
        lead.update(_service=service, _customer=customer)
        return stamped(lead, created)

    def _lead_contact(self, customer: dict | None) -> tuple[dict, str]:
        """Who asks (the customer, or someone new on a reserved domain) and what becomes of the lead."""
        ctx, rng = self.ctx, self.rng
        if customer is not None:
            who = {key: customer[key] for key in ("name", "email", "phone", "address")}
            return who, weighted_choice(ctx, CUSTOMER_LEAD_PLANS)
        name = self.faker.name()
        who = {
            "name": name,
            "email": f"{slug(name)}{rng.randrange(1, 99)}@{rng.choice(LEAD_DOMAINS)}",
            "phone": self.faker.phone_number(),
            "address": self.faker.address().replace("\n", ", "),
        }
        return who, weighted_choice(ctx, NEW_LEAD_PLANS)

    def quotes(self, leads: list[dict]) -> list[dict]:
        rng = self.rng
        rows = []
        for lead in leads:
            if lead["status"] not in (TO_BOOK, LeadStatus.QUOTED) and not (
                lead["status"] == LeadStatus.LOST and rng.random() < 0.6
            ):
                continue
            service = lead["_service"]
            hours = max(Decimal("1.5"), (Decimal(lead["square_meters"]) / 30).quantize(Decimal("0.5")))
            created = lead["created_at"] + dt.timedelta(hours=rng.randrange(1, 48))
            status = {
                TO_BOOK: QuoteStatus.ACCEPTED,
                LeadStatus.QUOTED: rng.choice([QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.SENT]),
                LeadStatus.LOST: rng.choice([QuoteStatus.REJECTED, QuoteStatus.EXPIRED]),
            }[lead["status"]]
            # QuoteFactory prices it: subtotal = rate × hours, total with VAT (renos.pricing).
            quote = built(
                QuoteFactory,
                id=stable_id("renos.quotes", lead["id"]),
                lead_id=lead["id"],
                hourly_rate=service["price"],
                estimated_hours=hours,
                notes=f"{service['name']} af {lead['square_meters']} m².",
                valid_until=(created + dt.timedelta(days=30)).date(),
                status=status,
            )
            stamped(quote, created)
            lead["_quote"] = quote
            rows.append(quote)
        return rows
