"""Danish companies and their contacts (some contacts belong to no company), made by crm's factories."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm.factories import CompanyFactory, ContactFactory
from shared.seeding import SeedContext, built, slug, stable_id, stamped, weighted_choice

from .data import COMPANY_STATUSES, CONTACT_DOMAIN, CONTACT_STATUSES, INDUSTRIES, SIZES


def companies(ctx: SeedContext, staff: list[str]) -> list[dict]:
    return [_company(ctx, index, staff) for index in range(ctx.pick(10, 300, 4_000))]


def _company(ctx: SeedContext, index: int, staff: list[str]) -> dict:
    """A company; CompanyFactory gives it its website and e-mail on the name's own domain, the VAT
    number from the CVR number, and the country."""
    rng, faker = ctx.rng, ctx.faker
    name = faker.company()
    cvr = f"{rng.randrange(10_000_000, 99_999_999)}"
    return stamped(
        built(
            CompanyFactory,
            id=stable_id("crm.companies", ctx.random_seed, index),
            name=name,
            industry=rng.choice(INDUSTRIES),
            size=rng.choice(SIZES),
            revenue=Decimal(rng.randrange(1, 500) * 100_000),
            phone=faker.phone_number(),
            address=faker.street_address(),
            city=faker.city(),
            postal_code=faker.postcode(),
            registration_number=cvr,
            status=weighted_choice(ctx, COMPANY_STATUSES),
            owner=rng.choice(staff),
            last_contact_at=None,
            notes=rng.choice([None, "Rammeaftale med kommunen", "Ønsker faste rengøringsdage"]),
            tags=rng.sample(["b2b", "rammeaftale", "kommune", "privat", "nøglekunde"], 2),
            custom_fields={"kundenummer": f"K-{10_000 + index}"},
        ),
        ctx.moment(days_back=720),
    )


def contacts(ctx: SeedContext, companies: list[dict], staff: list[str]) -> list[dict]:
    return [_contact(ctx, index, companies, staff) for index in range(ctx.pick(25, 800, 10_000))]


def _contact(ctx: SeedContext, index: int, companies: list[dict], staff: list[str]) -> dict:
    """A contact at a company's address and with its owner, or (one in seven) on their own; the
    company's row is kept under `_company` for the deals and tasks that name it."""
    rng, faker = ctx.rng, ctx.faker
    company = rng.choice(companies) if rng.random() < 0.85 else None
    first, last = faker.first_name(), faker.last_name()
    handle = f"{slug(first)}.{slug(last)}"
    created = max(ctx.moment(days_back=540), company["created_at"]) if company else ctx.moment(days_back=540)
    row = built(
        ContactFactory,
        id=stable_id("crm.contacts", ctx.random_seed, index),
        first_name=first,
        last_name=last,
        email=f"{handle}.{index}@{CONTACT_DOMAIN}",
        phone=faker.phone_number(),
        mobile=faker.phone_number() if rng.random() < 0.6 else None,
        title=faker.job()[:100],
        company_id=company["id"] if company else None,
        linkedin=f"https://www.linkedin.com/in/{handle.replace('.', '-')}-{index}",
        twitter=None,
        website=company["website"] if company else None,
        address=company["address"] if company else faker.street_address(),
        city=company["city"] if company else faker.city(),
        postal_code=company["postal_code"] if company else faker.postcode(),
        country="Denmark",
        status=weighted_choice(ctx, CONTACT_STATUSES),
        source=rng.choice(["website", "henvisning", "messe", "telefon", "linkedin"]),
        owner=company["owner"] if company else rng.choice(staff),
        last_contact_at=None,
        next_follow_up=ctx.now + dt.timedelta(days=rng.randrange(1, 45)) if rng.random() < 0.4 else None,
        notes=None,
        tags=["beslutningstager"] if rng.random() < 0.3 else [],
        custom_fields=None,
    )
    row["_company"] = company
    return stamped(row, created)
