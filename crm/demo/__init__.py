"""Seed the crm schema: Danish companies with their contacts, deals in every stage with their product
lines, activities, e-mails, tasks, and daily metrics computed from the seeded rows.

Rows follow `crm.services`:
- a deal's status follows its stage (closed_won: won, closed_lost: lost, else open); a closed deal has
  its close date and a probability of 100 (won) or 0 (lost), a lost deal its reason;
- a product line's total is quantity × unit price less the discount per cent, rounded to øre
  (`services.line_total`, which the table's check recomputes); a deal with lines is worth their sum;
- a contact's and a company's last_contact_at is their newest call, e-mail or meeting.

Owners are the demo staff users of the shared seed (by e-mail: crm stores people as text), so the crm
can be seeded on its own. Contacts get addresses at CONTACT_DOMAIN (their e-mail is unique).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from crm import models
from crm.services import CONTACT_ACTIVITY_TYPES, line_total
from shared.demo import staff_emails
from shared.money import CENT
from shared.seeding import (
    SeedContext,
    load,
    slug,
    stable_id,
    stamped,
    truncate_app,
    weighted_choice,
    without_private_keys,
)

CONTACT_DOMAIN = "crm.example.org"
INDUSTRIES = [
    "Ejendomsadministration",
    "Hotel og restaurant",
    "Detailhandel",
    "IT og software",
    "Sundhed og klinik",
    "Byggeri",
    "Advokat og revision",
    "Undervisning",
    "Boligforening",
]
SIZES = ["1-10", "11-50", "51-200", "201-500", "500+"]
# product, unit, unit price (DKK)
PRODUCTS = [
    ("Kontorrengøring, ugentlig", "uger", "1450.00"),
    ("Trappevask", "måneder", "890.00"),
    ("Vinduespudsning", "gange", "1250.00"),
    ("Hovedrengøring", "timer", "399.00"),
    ("Måtteservice", "måneder", "320.00"),
    ("Hygiejneservice, toiletter", "måneder", "560.00"),
    ("Flytterengøring", "timer", "429.00"),
    ("Rengøring efter håndværkere", "timer", "449.00"),
]
STAGES = {
    models.Deal.Stage.QUALIFICATION: 30,
    models.Deal.Stage.PROPOSAL: 25,
    models.Deal.Stage.NEGOTIATION: 15,
    models.Deal.Stage.CLOSED_WON: 20,
    models.Deal.Stage.CLOSED_LOST: 10,
}
# An open deal's probability (per cent) by its stage; a closed one has 100 (won) or 0 (lost).
PROBABILITY = {
    models.Deal.Stage.QUALIFICATION: (10, 30),
    models.Deal.Stage.PROPOSAL: (30, 60),
    models.Deal.Stage.NEGOTIATION: (50, 90),
}
LOST_REASONS = [
    "Valgte en billigere leverandør",
    "Budget skåret ned",
    "Ingen beslutning",
    "Gik med nuværende",
]
ACTIVITY_SUBJECTS = {
    models.Activity.Type.CALL: [
        "Opfølgning på tilbud",
        "Første samtale",
        "Afklaring af behov",
        "Prisforhandling",
    ],
    models.Activity.Type.EMAIL: ["Tilbud sendt", "Kontrakt til underskrift", "Svar på spørgsmål"],
    models.Activity.Type.MEETING: ["Besigtigelse af lokaler", "Møde om aftale", "Kvartalsmøde"],
    models.Activity.Type.NOTE: ["Intern note", "Kunden ønsker fast team", "Nøglekort udleveret"],
    models.Activity.Type.TASK_COMPLETED: [
        "Tilbud udarbejdet",
        "Kontrakt arkiveret",
        "Kunde oprettet i Billy",
    ],
}
OUTCOMES = ["Interesseret", "Vil tænke over det", "Ønsker nyt tilbud", "Aftale indgået", "Ikke interesseret"]
TASK_TITLES = [
    "Ring til {name} om tilbuddet",
    "Send kontrakt til {name}",
    "Book besigtigelse hos {company}",
    "Følg op på faktura til {company}",
    "Opdater kontaktoplysninger for {name}",
]


def seed(ctx: SeedContext) -> None:
    rng, faker = ctx.rng, ctx.faker
    staff = staff_emails(ctx)

    companies = []
    for index in range(ctx.pick(10, 300, 4_000)):
        name = faker.company()
        domain = f"{slug(name).replace('.', '')}.example"  # RFC 2606's reserved top-level domain
        cvr = f"{rng.randrange(10_000_000, 99_999_999)}"
        companies.append(
            stamped(
                {
                    "id": stable_id("crm.companies", ctx.random_seed, index),
                    "name": name,
                    "website": f"https://www.{domain}",
                    "industry": rng.choice(INDUSTRIES),
                    "size": rng.choice(SIZES),
                    "revenue": Decimal(rng.randrange(1, 500) * 100_000),
                    "email": f"info@{domain}",
                    "phone": faker.phone_number(),
                    "address": faker.street_address(),
                    "city": faker.city(),
                    "postal_code": faker.postcode(),
                    "country": "Denmark",
                    "vat_number": f"DK{cvr}",
                    "registration_number": cvr,
                    "status": weighted_choice(
                        ctx,
                        {
                            models.Company.Status.CUSTOMER: 4,
                            models.Company.Status.PROSPECT: 4,
                            models.Company.Status.ACTIVE: 1,
                            models.Company.Status.INACTIVE: 1,
                        },
                    ),
                    "owner": rng.choice(staff),
                    "last_contact_at": None,
                    "notes": rng.choice([None, "Rammeaftale med kommunen", "Ønsker faste rengøringsdage"]),
                    "tags": rng.sample(["b2b", "rammeaftale", "kommune", "privat", "nøglekunde"], 2),
                    "custom_fields": {"kundenummer": f"K-{10_000 + index}"},
                },
                ctx.moment(days_back=720),
            )
        )

    contacts = []
    for index in range(ctx.pick(25, 800, 10_000)):
        company = rng.choice(companies) if rng.random() < 0.85 else None
        first, last = faker.first_name(), faker.last_name()
        handle = f"{slug(first)}.{slug(last)}"
        created = (
            max(ctx.moment(days_back=540), company["created_at"]) if company else ctx.moment(days_back=540)
        )
        contacts.append(
            stamped(
                {
                    "id": stable_id("crm.contacts", ctx.random_seed, index),
                    "first_name": first,
                    "last_name": last,
                    "email": f"{handle}.{index}@{CONTACT_DOMAIN}",
                    "phone": faker.phone_number(),
                    "mobile": faker.phone_number() if rng.random() < 0.6 else None,
                    "title": faker.job()[:100],
                    "company": company["id"] if company else None,
                    "linkedin": f"https://www.linkedin.com/in/{handle.replace('.', '-')}-{index}",
                    "twitter": None,
                    "website": company["website"] if company else None,
                    "address": company["address"] if company else faker.street_address(),
                    "city": company["city"] if company else faker.city(),
                    "postal_code": company["postal_code"] if company else faker.postcode(),
                    "country": "Denmark",
                    "status": weighted_choice(
                        ctx,
                        {
                            models.Contact.Status.ACTIVE: 6,
                            models.Contact.Status.LEAD: 3,
                            models.Contact.Status.INACTIVE: 1,
                        },
                    ),
                    "source": rng.choice(["website", "henvisning", "messe", "telefon", "linkedin"]),
                    "owner": company["owner"] if company else rng.choice(staff),
                    "last_contact_at": None,
                    "next_follow_up": ctx.now + dt.timedelta(days=rng.randrange(1, 45))
                    if rng.random() < 0.4
                    else None,
                    "notes": None,
                    "tags": ["beslutningstager"] if rng.random() < 0.3 else [],
                    "custom_fields": None,
                    "_company": company,
                },
                created,
            )
        )

    deals, products = [], []
    for index in range(ctx.pick(20, 600, 8_000)):
        # The first five deals take the five stages in turn: every stage is present at every size.
        stage = list(STAGES)[index] if index < len(STAGES) else weighted_choice(ctx, STAGES)
        contact = rng.choice(contacts)
        company = contact["_company"]
        created = max(ctx.moment(days_back=365), contact["created_at"])
        deal_id = stable_id("crm.deals", ctx.random_seed, index)
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
        products.extend(lines)
        value = (
            sum((line["total"] for line in lines), Decimal("0.00"))
            if lines
            else Decimal(rng.randrange(5, 400) * 500).quantize(CENT)
        )
        status = models.Deal.status_for_stage(stage)
        closed = status != models.Deal.Status.OPEN
        close_date = min(created + dt.timedelta(days=rng.randrange(7, 90)), ctx.now).date()
        low, high = PROBABILITY.get(stage, (0, 0))
        deals.append(
            stamped(
                {
                    "id": deal_id,
                    "title": f"{(lines[0]['product_name'] if lines else 'Rengøringsaftale')} – "
                    f"{company['name'] if company else contact['last_name']}",
                    "value": value,
                    "currency": "DKK",
                    "stage": stage,
                    "pipeline": "sales" if rng.random() < 0.9 else "partners",
                    "probability": (100 if status == models.Deal.Status.WON else 0)
                    if closed
                    else rng.randrange(low, high + 1),
                    "contact": contact["id"],
                    "company": company["id"] if company else None,
                    "owner": contact["owner"],
                    "expected_close_date": (created + dt.timedelta(days=rng.randrange(30, 120))).date(),
                    "actual_close_date": close_date if closed else None,
                    "status": status,
                    "lost_reason": rng.choice(LOST_REASONS) if status == models.Deal.Status.LOST else None,
                    "description": f"{len(lines)} produktlinjer" if lines else None,
                    "tags": ["tilbud"] if stage == models.Deal.Stage.PROPOSAL else [],
                    "custom_fields": {"kilde": contact["source"]},
                    "_contact": contact,
                },
                created,
            )
        )

    deals_of = defaultdict(list)
    for deal in deals:
        deals_of[deal["contact"]].append(deal)
    activities = []
    for index in range(ctx.pick(60, 2_000, 25_000)):
        contact = rng.choice(contacts)
        kind = weighted_choice(
            ctx,
            {
                models.Activity.Type.CALL: 4,
                models.Activity.Type.EMAIL: 4,
                models.Activity.Type.MEETING: 2,
                models.Activity.Type.NOTE: 2,
                models.Activity.Type.TASK_COMPLETED: 1,
            },
        )
        deal = rng.choice(deals_of[contact["id"]]) if deals_of[contact["id"]] and rng.random() < 0.6 else None
        at = max(ctx.moment(days_back=365), contact["created_at"])
        activities.append(
            stamped(
                {
                    "id": stable_id("crm.activities", ctx.random_seed, index),
                    "type": kind,
                    "subject": rng.choice(ACTIVITY_SUBJECTS[kind]),
                    "description": faker.sentence(nb_words=10),
                    "contact": contact["id"],
                    "company": contact["company"],
                    "deal": deal["id"] if deal else None,
                    "owner": contact["owner"],
                    "duration_minutes": rng.choice([5, 10, 15, 30, 45, 60])
                    if kind in (models.Activity.Type.CALL, models.Activity.Type.MEETING)
                    else None,
                    "outcome": rng.choice(OUTCOMES)
                    if kind in (models.Activity.Type.CALL, models.Activity.Type.MEETING)
                    else None,
                    "occurred_at": at,
                },
                at,
            )
        )
    # last_contact_at: the newest call, e-mail or meeting, as log_activity keeps it.
    by_contact = {contact["id"]: contact for contact in contacts}
    by_company = {company["id"]: company for company in companies}
    for activity in activities:
        if activity["type"] not in CONTACT_ACTIVITY_TYPES:
            continue
        for row in (by_contact.get(activity["contact"]), by_company.get(activity["company"])):
            if row is not None and (
                row["last_contact_at"] is None or activity["occurred_at"] > row["last_contact_at"]
            ):
                row["last_contact_at"] = activity["occurred_at"]

    emails = []
    for index in range(ctx.pick(30, 1_000, 12_000)):
        contact = rng.choice(contacts)
        outbound = rng.random() < 0.6
        status = (
            weighted_choice(
                ctx,
                {
                    models.Email.Status.DRAFT: 1,
                    models.Email.Status.SENT: 2,
                    models.Email.Status.DELIVERED: 3,
                    models.Email.Status.OPENED: 3,
                    models.Email.Status.CLICKED: 1,
                    models.Email.Status.BOUNCED: 0.3,
                },
            )
            if outbound
            else models.Email.Status.DELIVERED
        )
        sent = (
            None
            if status == models.Email.Status.DRAFT
            else max(ctx.moment(days_back=365), contact["created_at"])
        )
        opened = (
            sent + dt.timedelta(minutes=rng.randrange(2, 600))
            if status in (models.Email.Status.OPENED, models.Email.Status.CLICKED)
            else None
        )
        emails.append(
            stamped(
                {
                    "id": stable_id("crm.emails", ctx.random_seed, index),
                    "subject": rng.choice(ACTIVITY_SUBJECTS[models.Activity.Type.EMAIL]),
                    "body": f"Hej {contact['first_name']},\n\n{faker.paragraph(nb_sentences=3)}\n\nMvh.",
                    "from_address": contact["owner"] if outbound else contact["email"],
                    "to": [contact["email"]] if outbound else [contact["owner"]],
                    "cc": [rng.choice(staff)] if rng.random() < 0.1 else [],
                    "bcc": [],
                    "direction": models.Email.Direction.OUTBOUND
                    if outbound
                    else models.Email.Direction.INBOUND,
                    "status": status,
                    "opened_at": opened,
                    "clicked_at": opened + dt.timedelta(minutes=1)
                    if status == models.Email.Status.CLICKED
                    else None,
                    "contact": contact["id"],
                    "external_id": f"demo-{stable_id('crm.emails', ctx.random_seed, index).hex[:16]}"
                    if sent
                    else None,
                    "thread_id": f"crm-thread-{contact['id'].hex[:12]}",
                    "sent_at": sent,
                },
                sent or ctx.now - dt.timedelta(hours=rng.randrange(1, 72)),
            )
        )

    tasks = []
    for index in range(ctx.pick(20, 600, 8_000)):
        contact = rng.choice(contacts)
        company = contact["_company"]
        due = ctx.now + dt.timedelta(days=rng.randrange(-60, 30), hours=rng.randrange(0, 8))
        status = (
            weighted_choice(
                ctx,
                {
                    models.Task.Status.DONE: 6,
                    models.Task.Status.CANCELLED: 1,
                    models.Task.Status.TODO: 1,
                    models.Task.Status.IN_PROGRESS: 1,
                },
            )
            if due < ctx.now
            else weighted_choice(ctx, {models.Task.Status.TODO: 3, models.Task.Status.IN_PROGRESS: 1})
        )
        title = rng.choice(TASK_TITLES).format(
            name=f"{contact['first_name']} {contact['last_name']}",
            company=company["name"] if company else "kunden",
        )
        created = min(due - dt.timedelta(days=rng.randrange(1, 20)), ctx.now)
        tasks.append(
            stamped(
                {
                    "id": stable_id("crm.tasks", ctx.random_seed, index),
                    "title": title[:255],
                    "description": None,
                    "assigned_to": contact["owner"],
                    "contact": contact["id"],
                    "status": status,
                    "priority": weighted_choice(
                        ctx,
                        {
                            models.Task.Priority.LOW: 2,
                            models.Task.Priority.MEDIUM: 5,
                            models.Task.Priority.HIGH: 2,
                            models.Task.Priority.URGENT: 1,
                        },
                    ),
                    "due_date": due,
                    "completed_at": min(due, ctx.now) - dt.timedelta(hours=rng.randrange(0, 48))
                    if status == models.Task.Status.DONE
                    else None,
                },
                created,
            )
        )

    metrics = _metrics(ctx, contacts, deals, activities)
    for model, rows in (
        (models.Company, companies),
        (models.Contact, contacts),
        (models.Deal, deals),
        (models.DealProduct, products),
        (models.Activity, activities),
        (models.Email, emails),
        (models.Task, tasks),
        (models.CrmMetric, metrics),
    ):
        load(ctx, model, without_private_keys(rows), total=len(rows))


def _metrics(ctx, contacts, deals, activities) -> list[dict]:
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
        for metric in ("new_contacts", "new_deals", "deals_won", "won_value", "activities"):
            rows.append(
                stamped(
                    {
                        "id": stable_id("crm.metrics", date, metric),
                        "date": date,
                        "metric": metric,
                        "value": round(figures[date, metric], 2),
                        "metadata": {"source": "seed"},
                    },
                    dt.datetime.combine(date, dt.time(23, 55), tzinfo=dt.UTC),
                )
            )
    return rows


def reset(ctx: SeedContext) -> None:
    truncate_app(ctx)
