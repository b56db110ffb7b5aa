"""Seed the renos schema: a cleaning company's year, laid out in the twelve months before the seed's now.

Customers, leads (some quoted, some booked), bookings of existing customers with their work timer and
breaks, cleaning plans with tasks and the bookings that carried them out, invoices with lines, e-mail
threads with messages, conversations, AI replies and escalations, chat sessions with messages, daily
analytics computed from the seeded rows, the agent's task executions, competitor prices, the service
catalogue and labels.

Every row satisfies the table's checks and follows what `renos.services` would have written, through the
same rules (`renos.pricing` for money, `renos.timekeeping` for the timer):
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
import math
import uuid
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

from renos import models, pricing
from renos.models import BookingStatus, CustomerStatus, InvoiceStatus, LeadStatus, QuoteStatus, TimerStatus
from renos.timekeeping import minutes_between, stopped_timer
from shared.money import CENT, to_cents

from .base import SeedContext, load, stable_id, table_of, truncate_app
from .shared import _slug

VAT_RATE = pricing.VAT_RATE
CUSTOMER_DOMAIN = "kunde.example.com"
# Leads who are not yet customers write from addresses on the other reserved domains (RFC 2606).
LEAD_DOMAINS = ["example.net", "example.org"]
COMPANY_MAIL = "info@rendetalje.dk"
AI_MODEL = "gemini-2.0-flash"

# name, description, price per hour, usual duration (minutes)
SERVICES = [
    ("Fast rengøring", "Ugentlig eller hver 14. dag: støvsugning, gulvvask, bad og køkken.", "349.00", 120),
    ("Hovedrengøring", "Grundig rengøring af hele boligen, også paneler, døre og skabe.", "399.00", 300),
    ("Flytterengøring", "Rengøring ved fraflytning, så depositummet kommer retur.", "429.00", 360),
    ("Vinduespudsning", "Indvendig og udvendig pudsning af vinduer og glasdøre.", "299.00", 90),
    ("Erhvervsrengøring", "Kontorer, klinikker og butikker efter aftale.", "379.00", 180),
    ("Trappevask", "Trappeopgange i etageejendomme.", "329.00", 60),
    ("Airbnb-rengøring", "Klargøring mellem gæster, inkl. skift af sengetøj.", "369.00", 150),
]
LABELS = [
    "Fast kunde",
    "Erhverv",
    "Privat",
    "VIP",
    "Nøgle udleveret",
    "Husdyr",
    "Betaler sent",
    "Klage",
    "Ny kunde",
    "Flytning",
]
LEAD_SOURCES = ["website", "website", "email", "phone", "leadpoint", "rengøring.nu", "henvisning"]
BREAK_REASONS = ["frokost", "pause", "kørsel mellem opgaver", "venter på nøgle"]
TASKS = [
    ("Støvsugning af alle rum", "gulve", 25),
    ("Gulvvask", "gulve", 30),
    ("Rengøring af badeværelse", "vådrum", 30),
    ("Afkalkning af armaturer", "vådrum", 10),
    ("Køkken: bordplader og fronter", "køkken", 20),
    ("Rengøring af komfur og emhætte", "køkken", 20),
    ("Aftørring af støv", "overflader", 15),
    ("Skift af sengetøj", "soverum", 10),
    ("Tømning af skraldespande", "overflader", 5),
    ("Pudsning af spejle", "vådrum", 5),
]
THREAD_SUBJECTS = [
    "Tilbud på {service}",
    "Spørgsmål til faktura",
    "Ændring af tid",
    "Nøgle til lejligheden",
    "Tak for i dag",
    "Bekræftelse af booking",
    "Kan I komme tidligere?",
    "Klage over rengøringen",
]
CHAT_OPENERS = [
    "Hej! Hvad koster en {service} af {m2} m²?",
    "Kan I komme på {day}?",
    "Hvordan aflyser jeg min booking?",
    "Tager I jer også af vinduer?",
    "Jeg vil gerne have et tilbud på {service}.",
]
CHAT_REPLIES = [
    "Tak for din besked! En {service} af {m2} m² tager cirka {hours} timer à {rate} kr. ekskl. moms.",
    "Vi har ledig tid på {day}. Skal jeg reservere den til dig?",
    "Du kan aflyse gratis indtil 24 timer før. Skriv blot dit bookingnummer.",
    "Ja, vi tilbyder vinduespudsning til {rate} kr. i timen.",
    "Jeg sender et tilbud til din e-mail inden for en time.",
]
DAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag"]
TASK_TYPES = [
    ("classify_email", "email_classification"),
    ("send_quote", "quote_request"),
    ("book_calendar", "booking_request"),
    ("match_customer", "customer_lookup"),
    ("follow_up_lead", "follow_up"),
    ("detect_conflict", "complaint"),
]
COMPETITORS = [
    "Hjemmeservice Danmark",
    "Rengøringsselskabet Nord",
    "CleanCare ApS",
    "Blå Kvalitet Rengøring",
    "Stjernerengøring",
]
ESCALATION_KEYWORDS = ["utilfreds", "refusion", "klage", "skuffet", "advokat", "anmeldelse", "for sent"]


def _uuid(ctx: SeedContext) -> str:
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


def _hex(ctx: SeedContext, digits: int = 16) -> str:
    return f"{ctx.rng.getrandbits(digits * 4):0{digits}x}"


def _weighted(ctx: SeedContext, choices: dict):
    return ctx.rng.choices(list(choices), weights=list(choices.values()))[0]


def _first_name(name: str) -> str:
    return name.split()[0] if name else "du"


def _stamp(row: dict, at: dt.datetime) -> dict:
    row["created_at"] = row["updated_at"] = at
    return row


def _clean(rows):
    """The rows without their private keys (`_…`, kept for building related rows)."""
    for row in rows:
        yield {key: value for key, value in row.items() if not key.startswith("_")}


class _Renos:
    """Builds the rows of one seed in memory (a few MB even at `large`), then loads them in FK order."""

    def __init__(self, ctx: SeedContext):
        self.ctx = ctx
        self.rng = ctx.rng
        self.faker = ctx.faker
        self.services = [
            {"name": name, "description": text, "price": Decimal(price), "duration": minutes}
            for name, text, price, minutes in SERVICES
        ]

    # --- customers, leads, quotes -------------------------------------------------------------------

    def customers(self) -> list[dict]:
        ctx, rng = self.ctx, self.rng
        rows = []
        for index in range(ctx.pick(20, 400, 5_000)):
            name = self.faker.name()
            email = f"{_slug(name)}.{index}@{CUSTOMER_DOMAIN}"
            business = rng.random() < 0.25
            created = self.ctx.now - dt.timedelta(seconds=int((400 + rng.random() * 400) * 86400))
            status = _weighted(
                ctx, {CustomerStatus.ACTIVE: 88, CustomerStatus.INACTIVE: 9, CustomerStatus.ARCHIVED: 3}
            )
            tags = ["erhverv" if business else "privat"] + (["fast"] if rng.random() < 0.5 else [])
            rows.append(
                _stamp(
                    {
                        "id": stable_id("renos.customers", email),
                        "name": name,
                        "email": email,
                        "phone": self.faker.phone_number(),
                        "address": self.faker.address().replace("\n", ", "),
                        "company_name": self.faker.company() if business else None,
                        "notes": rng.choice(
                            [None, None, "Nøgle i nøgleboks", "Kat i huset", "Parkering i gården"]
                        ),
                        "status": status,
                        "tags": tags,
                        "total_leads": 0,
                        "total_bookings": 0,
                        "total_revenue": Decimal("0.00"),
                        "last_contact_at": None,
                    },
                    created,
                )
            )
        return rows

    def leads(self, customers: list[dict]) -> list[dict]:
        ctx, rng = self.ctx, self.rng
        rows = []
        for index in range(ctx.pick(30, 700, 8_000)):
            customer = rng.choice(customers) if rng.random() < 0.6 else None
            created = ctx.moment(days_back=365)
            if customer is not None:
                name, email, phone = customer["name"], customer["email"], customer["phone"]
                address = customer["address"]
                plan = _weighted(ctx, {"book": 7, "quoted": 1, "lost": 1, "contacted": 1})
            else:
                name = self.faker.name()
                email = f"{_slug(name)}{rng.randrange(1, 99)}@{rng.choice(LEAD_DOMAINS)}"
                phone = self.faker.phone_number()
                address = self.faker.address().replace("\n", ", ")
                plan = _weighted(
                    ctx, {"new": 3, "contacted": 2, "qualified": 2, "quoted": 2, "lost": 2, "spam": 1}
                )
            service = rng.choice(self.services)
            square_meters = Decimal(rng.randrange(35, 220))
            score = rng.randrange(5, 100)
            priority = "urgent" if score > 90 else "high" if score > 70 else "medium" if score > 35 else "low"
            source = rng.choice(LEAD_SOURCES)
            lead_id = stable_id("renos.leads", ctx.random_seed, index)
            rows.append(
                _stamp(
                    {
                        "id": lead_id,
                        "session_id": _uuid(ctx) if source == "website" else None,
                        "customer": customer["id"] if customer else None,
                        "source": source,
                        "name": name,
                        "email": email,
                        "phone": phone,
                        "address": address,
                        "square_meters": square_meters,
                        "rooms": max(1, int(square_meters) // 30),
                        "task_type": service["name"].lower(),
                        "preferred_dates": [
                            (created + dt.timedelta(days=rng.randrange(3, 30))).date().isoformat()
                            for _ in range(rng.randrange(0, 3))
                        ],
                        "status": plan,  # "book" is settled once the booking is laid out
                        "email_thread_id": None,
                        "follow_up_attempts": rng.randrange(0, 3) if plan in ("contacted", "quoted") else 0,
                        "last_follow_up_date": created + dt.timedelta(days=3) if plan == "quoted" else None,
                        "idempotency_key": f"demo:{lead_id}" if source == "website" else None,
                        "company_name": customer["company_name"] if customer else None,
                        "industry": None,
                        "estimated_size": f"{square_meters} m²",
                        "estimated_value": to_cents(service["price"] * Decimal(service["duration"]) / 60),
                        "enrichment_data": None,
                        "last_enriched": None,
                        "score": score,
                        "priority": priority,
                        "last_scored": created + dt.timedelta(minutes=5),
                        "score_metadata": {"model": "renos-scoring-v2", "signals": ["kvm", "kilde"]},
                        "_service": service,
                        "_customer": customer,
                    },
                    created,
                )
            )
        return rows

    def quotes(self, leads: list[dict]) -> list[dict]:
        rng = self.rng
        rows = []
        for lead in leads:
            if lead["status"] not in ("book", "quoted") and not (
                lead["status"] == "lost" and rng.random() < 0.6
            ):
                continue
            service = lead["_service"]
            hours = max(Decimal("1.5"), (Decimal(lead["square_meters"]) / 30).quantize(Decimal("0.5")))
            rate = service["price"]
            subtotal = pricing.quote_subtotal(rate, hours)
            created = lead["created_at"] + dt.timedelta(hours=rng.randrange(1, 48))
            status = {
                "book": QuoteStatus.ACCEPTED,
                LeadStatus.QUOTED: rng.choice([QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.SENT]),
                LeadStatus.LOST: rng.choice([QuoteStatus.REJECTED, QuoteStatus.EXPIRED]),
            }[lead["status"]]
            quote = _stamp(
                {
                    "id": stable_id("renos.quotes", lead["id"]),
                    "lead": lead["id"],
                    "hourly_rate": rate,
                    "estimated_hours": hours,
                    "subtotal": subtotal,
                    "vat_rate": VAT_RATE,
                    "total": pricing.total_with_vat(subtotal, VAT_RATE),
                    "notes": f"{service['name']} af {lead['square_meters']} m².",
                    "valid_until": (created + dt.timedelta(days=30)).date(),
                    "status": status,
                },
                created,
            )
            lead["_quote"] = quote
            rows.append(quote)
        return rows

    # --- bookings, their timer and breaks -----------------------------------------------------------

    def bookings(self, leads: list[dict], customers: list[dict]) -> tuple[list[dict], list[dict]]:
        ctx, rng = self.ctx, self.rng
        bookings, breaks = [], []
        for lead in leads:
            if lead["status"] != "book":
                continue
            quote = lead["_quote"]
            at = self._work_hours(quote["created_at"] + dt.timedelta(days=rng.randrange(2, 21)))
            booking = self._booking(
                key=("lead", lead["id"]),
                customer=lead["_customer"],
                lead=lead,
                quote=quote,
                service=lead["_service"],
                scheduled_at=at,
                estimated=math.ceil(quote["estimated_hours"] * 60),
                breaks=breaks,
            )
            bookings.append(booking)
            lead["status"] = (
                LeadStatus.WON if booking["status"] == BookingStatus.COMPLETED else LeadStatus.BOOKED
            )
        for index in range(ctx.pick(30, 1_100, 12_000)):
            customer = rng.choice(customers)
            service = rng.choice(self.services)
            at = self._work_hours(self.ctx.now - dt.timedelta(days=rng.random() * 395 - 30))
            bookings.append(
                self._booking(
                    key=("customer", ctx.random_seed, index),
                    customer=customer,
                    lead=None,
                    quote=None,
                    service=service,
                    scheduled_at=at,
                    estimated=service["duration"],
                    breaks=breaks,
                )
            )
        # Today and the next two weeks are busy: the calendar staff open first.
        for index in range(ctx.pick(24, 150, 1_500)):
            customer = rng.choice(customers)
            service = rng.choice(self.services)
            at = self._work_hours(ctx.now + dt.timedelta(days=rng.randrange(0, 15)))
            bookings.append(
                self._booking(
                    key=("upcoming", ctx.random_seed, index),
                    customer=customer,
                    lead=None,
                    quote=None,
                    service=service,
                    scheduled_at=at,
                    estimated=service["duration"],
                    breaks=breaks,
                )
            )
        # Jobs that began too recently to be finished are under way (the timer runs or is on a break),
        # and so are a few that were due later: nothing is still "scheduled" in the past.
        for booking in bookings:
            if booking.pop("_started"):
                self._under_way(booking, breaks)
        for booking in bookings[-max(2, len(bookings) // 50) :]:
            if (
                booking["status"] in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)
                and booking["lead"] is None
            ):
                self._under_way(booking, breaks)
        return bookings, breaks

    def _work_hours(self, moment: dt.datetime) -> dt.datetime:
        """The moment moved to a working hour (07:00-15:00 UTC) on its day, on the quarter hour."""
        return moment.replace(
            hour=self.rng.randrange(7, 15), minute=self.rng.choice([0, 15, 30, 45]), second=0, microsecond=0
        )

    def _booking(self, *, key, customer, lead, quote, service, scheduled_at, estimated, breaks) -> dict:
        rng = self.rng
        booking_id = stable_id("renos.bookings", *key)
        created = min(scheduled_at - dt.timedelta(days=rng.randrange(1, 14)), self.ctx.now)
        if lead is not None:
            created = max(created, quote["created_at"] + dt.timedelta(minutes=30))
        # The longest a job can take (see _complete) plus its breaks: one begun since then is not done.
        started = scheduled_at + dt.timedelta(minutes=estimated * 1.3 + 90) > self.ctx.now
        if scheduled_at > self.ctx.now:
            status, started = rng.choice([BookingStatus.SCHEDULED, BookingStatus.CONFIRMED]), False
        elif started:
            status = BookingStatus.CONFIRMED  # _under_way starts its timer
        else:
            status = _weighted(
                self.ctx, {BookingStatus.COMPLETED: 90, BookingStatus.CANCELLED: 6, BookingStatus.NO_SHOW: 2}
            )
        booking = _stamp(
            {
                "id": booking_id,
                "customer": customer["id"] if customer else None,
                "lead": lead["id"] if lead else None,
                "quote": quote["id"] if quote else None,
                "service_type": service["name"].lower(),
                "address": customer["address"] if customer else lead["address"],
                "scheduled_at": scheduled_at,
                "estimated_duration": estimated,
                "start_time": scheduled_at,
                "end_time": scheduled_at + dt.timedelta(minutes=estimated),
                "status": status,
                "calendar_event_id": None,
                "calendar_link": None,
                "notes": rng.choice([None, None, None, "Ring på ved ankomst", "Husk egne støvsugerposer"]),
                "actual_start_time": None,
                "actual_end_time": None,
                "actual_duration": None,
                "time_variance": None,
                "efficiency_score": None,
                "time_notes": None,
                "timer_status": TimerStatus.NOT_STARTED,
                "_customer": customer,
                "_service": service,
                "_rate": quote["hourly_rate"] if quote else service["price"],
                "_started": started,
            },
            created,
        )
        if status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
            event = _hex(self.ctx, 20)
            booking["calendar_event_id"] = event
            booking["calendar_link"] = f"https://calendar.google.com/calendar/event?eid={event}"
        if status == BookingStatus.COMPLETED:
            self._complete(booking, breaks)
        return booking

    def _complete(self, booking: dict, breaks: list[dict]) -> None:
        """The timer as start_timer, start_break/end_break and stop_timer would have left it."""
        rng = self.rng
        start = booking["scheduled_at"] + dt.timedelta(
            minutes=rng.randrange(-10, 20), seconds=rng.randrange(60)
        )
        worked = dt.timedelta(seconds=int(booking["estimated_duration"] * 60 * rng.uniform(0.75, 1.3)))
        pauses = [
            dt.timedelta(minutes=rng.randrange(5, 35), seconds=rng.randrange(60))
            for _ in range(_weighted(self.ctx, {0: 5, 1: 4, 2: 1}))
        ]
        moment, paused, intervals = start, dt.timedelta(), []
        for number, pause in enumerate(pauses):
            moment += dt.timedelta(seconds=int(worked.total_seconds()) // (len(pauses) + 1))
            breaks.append(self._break(booking, number, moment, moment + pause))
            intervals.append((moment, moment + pause))
            moment += pause
            paused += pause
        stop = start + worked + paused
        figures = stopped_timer(
            start=start, stop=stop, estimated_minutes=booking["estimated_duration"], breaks=intervals
        )
        actual = figures.actual_duration
        booking.update(
            actual_start_time=start,
            actual_end_time=stop,
            actual_duration=actual,
            time_variance=figures.time_variance,
            efficiency_score=figures.efficiency_score,
            timer_status=TimerStatus.STOPPED,
            time_notes="Længere tid end aftalt: ekstra snavset køkken"
            if actual > booking["estimated_duration"] * 1.2
            else None,
        )

    def _under_way(self, booking: dict, breaks: list[dict]) -> None:
        start = self.ctx.now - dt.timedelta(minutes=self.rng.randrange(30, 150))
        booking["created_at"] = booking["updated_at"] = min(
            booking["created_at"], start - dt.timedelta(days=1)
        )
        booking.update(
            scheduled_at=start.replace(second=0, microsecond=0),
            start_time=start.replace(second=0, microsecond=0),
            end_time=start.replace(second=0, microsecond=0)
            + dt.timedelta(minutes=booking["estimated_duration"]),
            status=BookingStatus.IN_PROGRESS,
            actual_start_time=start,
            timer_status=TimerStatus.RUNNING,
        )
        if self.rng.random() < 0.5:
            # On a break: exactly one open break (the database allows no second one).
            breaks.append(self._break(booking, 0, self.ctx.now - dt.timedelta(minutes=10), None))
            booking["timer_status"] = "on_break"

    def _break(self, booking: dict, number: int, start: dt.datetime, end: dt.datetime | None) -> dict:
        return _stamp(
            {
                "id": stable_id("renos.breaks", booking["id"], number),
                "booking": booking["id"],
                "start_time": start,
                "end_time": end,
                "duration": minutes_between(start, end) if end else None,
                "reason": self.rng.choice(BREAK_REASONS),
                "notes": None,
            },
            start,
        )

    # --- cleaning plans -----------------------------------------------------------------------------

    def plans(self, customers: list[dict], bookings: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
        ctx, rng = self.ctx, self.rng
        by_customer = defaultdict(list)
        for booking in bookings:
            if booking["lead"] is None and booking["customer"] is not None:
                by_customer[booking["customer"]].append(booking)
        candidates = [customer for customer in customers if by_customer[customer["id"]]] or customers
        plans, tasks, links = [], [], []
        frequencies = {"weekly": 4, "biweekly": 4, "monthly": 2, "quarterly": 1, "once": 1}
        labels = {
            "weekly": "Ugentlig",
            "biweekly": "14-dages",
            "monthly": "Månedlig",
            "quarterly": "Kvartalsvis",
            "once": "Enkeltstående",
        }
        for index, customer in enumerate(
            rng.sample(candidates, min(len(candidates), ctx.pick(8, 150, 1_500)))
        ):
            service = rng.choice(self.services[:2] + self.services[4:])
            frequency = _weighted(ctx, frequencies)
            square_meters = Decimal(rng.randrange(40, 250))
            duration = max(60, int(square_meters) * 2 // 15 * 15)
            plan_id = stable_id("renos.cleaning_plans", ctx.random_seed, index)
            plan = _stamp(
                {
                    "id": plan_id,
                    "customer": customer["id"],
                    "name": f"{labels[frequency]} {service['name'].lower()} – {customer['name']}",
                    "description": f"{service['description']} {square_meters} m².",
                    "service_type": service["name"].lower(),
                    "frequency": frequency,
                    "is_template": index < 2,
                    "is_active": customer["status"] == CustomerStatus.ACTIVE,
                    "estimated_duration": duration,
                    "estimated_price": to_cents(service["price"] * duration / 60),
                    "square_meters": square_meters,
                    "address": customer["address"],
                    "notes": None,
                },
                customer["created_at"] + dt.timedelta(days=rng.randrange(1, 60)),
            )
            plans.append(plan)
            plan_tasks = []
            for order, (name, category, minutes) in enumerate(rng.sample(TASKS, rng.randrange(3, 8))):
                plan_tasks.append(
                    _stamp(
                        {
                            "id": stable_id("renos.cleaning_tasks", plan_id, order),
                            "plan": plan_id,
                            "name": name,
                            "description": None,
                            "category": category,
                            "estimated_time": minutes,
                            "is_required": rng.random() < 0.8,
                            "is_completed": False,
                            "sort_order": order,
                            "price_per_task": to_cents(service["price"] * minutes / 60)
                            if rng.random() < 0.3
                            else None,
                        },
                        plan["created_at"],
                    )
                )
            tasks.extend(plan_tasks)
            for booking in by_customer[customer["id"]][: rng.randrange(1, 7)]:
                if booking.get("_plan"):
                    continue
                booking["_plan"] = plan_id
                done = booking["status"] == BookingStatus.COMPLETED
                links.append(
                    _stamp(
                        {
                            "id": stable_id("renos.cleaning_plan_bookings", booking["id"]),
                            "plan": plan_id,
                            "booking": booking["id"],
                            "completed_tasks": [
                                str(task["id"])
                                for task in plan_tasks
                                if done and (task["is_required"] or rng.random() < 0.5)
                            ],
                            "actual_duration": booking["actual_duration"],
                            "notes": None,
                        },
                        booking["created_at"],
                    )
                )
        return plans, tasks, links

    # --- invoices -----------------------------------------------------------------------------------

    def invoices(self, bookings: list[dict], customers: list[dict]) -> tuple[list[dict], list[dict]]:
        ctx, rng = self.ctx, self.rng
        drafts = []  # (issue moment, booking or None, customer)
        for booking in bookings:
            if booking["status"] == BookingStatus.COMPLETED and booking["customer"] and rng.random() < 0.92:
                drafts.append(
                    (
                        booking["actual_end_time"] + dt.timedelta(hours=rng.randrange(1, 30)),
                        booking,
                        booking["_customer"],
                    )
                )
        for _ in range(max(1, len(drafts) // 20)):
            drafts.append((ctx.moment(days_back=360), None, rng.choice(customers)))
        invoices, lines = [], []
        for index, (issued, booking, customer) in enumerate(drafts):
            issued = min(issued, self.ctx.now)
            invoice_id = stable_id("renos.invoices", ctx.random_seed, index)
            items = self._lines(booking)
            invoice_lines = []
            for order, (description, quantity, unit_price) in enumerate(items):
                invoice_lines.append(
                    _stamp(
                        {
                            "id": stable_id("renos.invoice_line_items", invoice_id, order),
                            "invoice": invoice_id,
                            "description": description,
                            "quantity": quantity,
                            "unit_price": unit_price,
                            "amount": pricing.line_amount(quantity, unit_price),
                            "sort_order": order,
                        },
                        issued,
                    )
                )
            subtotal = pricing.subtotal_of(line["amount"] for line in invoice_lines)
            vat = pricing.vat_amount(subtotal, VAT_RATE)
            invoice = _stamp(
                {
                    "id": invoice_id,
                    "invoice_number": None,
                    "booking": booking["id"] if booking else None,
                    "customer": customer["id"],
                    "customer_name": customer["name"],
                    "customer_email": customer["email"],
                    "customer_address": customer["address"],
                    "issue_date": issued.date(),
                    "due_date": issued.date() + dt.timedelta(days=rng.choice([8, 14, 14, 30])),
                    "status": InvoiceStatus.DRAFT,
                    "subtotal": subtotal,
                    "vat_rate": VAT_RATE,
                    "vat_amount": vat,
                    "total": subtotal + vat,
                    "paid_at": None,
                    "paid_amount": None,
                    "payment_method": None,
                    "payment_ref": None,
                    "billy_invoice_id": None,
                    "billy_contact_id": None,
                    "billy_synced_at": None,
                    "billy_pdf_url": None,
                    "notes": "Betalingsbetingelser: netto 14 dage." if rng.random() < 0.3 else None,
                    "internal_notes": None,
                    "sent_at": None,
                    "reminder_sent_at": None,
                    "_lines": invoice_lines,
                    "_order": index,
                },
                issued,
            )
            self._settle(invoice, issued)
            invoices.append(invoice)
            lines.extend(invoice_lines)
        # Numbered per year in order of issue, as create_invoice would have handed them out.
        counters: dict[int, int] = defaultdict(int)
        for invoice in sorted(invoices, key=lambda row: (row["created_at"], row["_order"])):
            year = invoice["issue_date"].year
            counters[year] += 1
            invoice["invoice_number"] = f"{year}-{counters[year]:04d}"
            if invoice["sent_at"]:
                invoice["billy_invoice_id"] = f"demo-{invoice['invoice_number']}"
                invoice["billy_pdf_url"] = (
                    f"https://app.billy.dk/demo/invoices/{invoice['invoice_number']}.pdf"
                )
        return invoices, lines

    def _lines(self, booking: dict | None) -> list[tuple[str, Decimal, Decimal]]:
        rng = self.rng
        if booking is None:
            return [
                (
                    rng.choice(
                        [
                            "Nøgleudlevering og administration",
                            "Ekstra rengøringsmidler",
                            "Gebyr for aflysning",
                        ]
                    ),
                    Decimal("1.00"),
                    Decimal(rng.choice(["95.00", "149.50", "250.00"])),
                )
            ]
        hours = max(
            Decimal("0.50"), (Decimal(booking["actual_duration"]) / 60 * 4).quantize(Decimal("1")) / 4
        )
        when = booking["scheduled_at"].date()
        items = [(f"{booking['_service']['name']} {when:%d.%m.%Y}", hours.quantize(CENT), booking["_rate"])]
        if rng.random() < 0.5:
            items.append(("Kørsel", Decimal("1.00"), Decimal("99.00")))
        if rng.random() < 0.25:
            items.append(
                (
                    "Rengøringsmidler og materialer",
                    Decimal(rng.randrange(1, 4)).quantize(CENT),
                    Decimal("49.50"),
                )
            )
        if rng.random() < 0.08:
            items.append(("Rabat, fast kunde", Decimal("1.00"), Decimal("-50.00")))
        return items

    def _settle(self, invoice: dict, issued: dt.datetime) -> None:
        """Status, payment and Billy fields, as the invoice's life up to the seed's now left them."""
        rng = self.rng
        if self.ctx.now - issued < dt.timedelta(days=2) and rng.random() < 0.6:
            return  # still a draft
        sent = min(issued + dt.timedelta(minutes=rng.randrange(5, 240)), self.ctx.now)
        invoice.update(
            status=InvoiceStatus.SENT,
            sent_at=sent,
            billy_contact_id=f"demo-contact-{invoice['customer'].hex[:12]}",
            billy_synced_at=sent,
        )
        roll = rng.random()
        if roll < 0.04:
            invoice["status"] = InvoiceStatus.CANCELLED
        elif invoice["due_date"] >= self.ctx.now.date():
            if roll >= 0.5:  # paid before it was due; the rest are sent and not yet due
                self._paid(invoice, sent, invoice["total"])
        elif roll < 0.12:
            invoice["status"] = InvoiceStatus.OVERDUE
            reminder = dt.datetime.combine(
                invoice["due_date"] + dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC
            )
            invoice["reminder_sent_at"] = min(reminder, self.ctx.now)
        elif roll < 0.17:
            self._paid(invoice, sent, to_cents(invoice["total"] * Decimal(rng.randrange(20, 80)) / 100))
        else:
            self._paid(invoice, sent, invoice["total"])

    def _paid(self, invoice: dict, sent: dt.datetime, amount: Decimal) -> None:
        """A payment as mark_invoice_paid records it: paid when it covers the total, else partially."""
        rng = self.rng
        method = _weighted(self.ctx, {"bank_transfer": 5, "mobilepay": 4, "card": 1, "cash": 0.2})
        reference = {
            "bank_transfer": f"FIK {rng.randrange(10**14, 10**15)}",
            "mobilepay": f"MP-{rng.randrange(10**9, 10**10)}",
            "card": f"NETS-{rng.randrange(10**7, 10**8)}",
            "cash": None,
        }[method]
        invoice.update(
            status=InvoiceStatus.PAID if amount == invoice["total"] else InvoiceStatus.PARTIALLY_PAID,
            paid_amount=amount,
            paid_at=min(sent + dt.timedelta(seconds=int(rng.uniform(0.2, 20) * 86400)), self.ctx.now),
            payment_method=method,
            payment_ref=reference,
        )

    # --- e-mail, conversations, chat ----------------------------------------------------------------

    def email(self, customers, leads):
        ctx, rng = self.ctx, self.rng
        threads, messages, conversations = [], [], []
        customer_leads = defaultdict(list)
        for lead in leads:
            if lead["customer"]:
                customer_leads[lead["customer"]].append(lead)
        loose_leads = [lead for lead in leads if not lead["customer"]]
        for index in range(ctx.pick(15, 300, 3_000)):
            customer = rng.choice(customers) if rng.random() < 0.7 or not loose_leads else None
            lead = rng.choice(loose_leads) if customer is None else None
            who_name = customer["name"] if customer else lead["name"]
            who_email = customer["email"] if customer else lead["email"]
            gmail_thread_id = f"demo{stable_id('renos.email_threads', ctx.random_seed, index).hex[:16]}"
            if lead is not None and lead["email_thread_id"] is None:
                lead["email_thread_id"] = gmail_thread_id
            subject = rng.choice(THREAD_SUBJECTS).format(service=rng.choice(self.services)["name"].lower())
            started = ctx.moment(days_back=360)
            thread_id = stable_id("renos.email_threads", gmail_thread_id)
            conversation_id = None
            if customer is not None and rng.random() < 0.5:
                conversation_id = stable_id("renos.conversations", gmail_thread_id)
            count = rng.randrange(1, 6)
            sent_at = started
            thread_messages = []
            for number in range(count):
                inbound = number % 2 == 0
                body = (
                    f"Hej {'Rendetalje' if inbound else _first_name(who_name)},\n\n"
                    f"{self.faker.paragraph(nb_sentences=rng.randrange(2, 5))}\n\n"
                    f"Venlig hilsen\n{who_name if inbound else 'Rendetalje'}"
                )
                ai = not inbound and rng.random() < 0.4
                thread_messages.append(
                    _stamp(
                        {
                            "id": stable_id("renos.email_messages", gmail_thread_id, number),
                            "gmail_message_id": f"{gmail_thread_id}-{number:02d}",
                            "thread": thread_id,
                            "sender": who_email if inbound else COMPANY_MAIL,
                            "to": [COMPANY_MAIL] if inbound else [who_email],
                            "subject": subject if number == 0 else f"Re: {subject}",
                            "body": body,
                            "body_preview": body[:120],
                            "direction": models.EmailDirection.INBOUND
                            if inbound
                            else models.EmailDirection.OUTBOUND,
                            "status": models.EmailMessageStatus.DELIVERED
                            if inbound
                            else rng.choice(
                                [
                                    models.EmailMessageStatus.SENT,
                                    models.EmailMessageStatus.DELIVERED,
                                    models.EmailMessageStatus.DELIVERED,
                                ]
                            ),
                            "is_ai_generated": ai,
                            "ai_model": AI_MODEL if ai else None,
                            "sent_at": sent_at,
                            "conversation": conversation_id,
                        },
                        sent_at,
                    )
                )
                sent_at += dt.timedelta(minutes=rng.randrange(10, 60 * 30))
            last = thread_messages[-1]["sent_at"]
            messages.extend(thread_messages)
            if conversation_id is not None:
                closed = rng.random() < 0.6
                conversations.append(
                    _stamp(
                        {
                            "id": conversation_id,
                            "customer": customer["id"],
                            "lead": (customer_leads[customer["id"]] or [{"id": None}])[0]["id"],
                            "subject": subject,
                            "channel": models.ConversationChannel.EMAIL,
                            "status": models.ConversationStatus.CLOSED
                            if closed
                            else models.ConversationStatus.ACTIVE,
                            "gmail_thread_id": gmail_thread_id,
                            "closed_at": last + dt.timedelta(hours=2) if closed else None,
                        },
                        started,
                    )
                )
            matched = customer is not None
            threads.append(
                _stamp(
                    {
                        "id": thread_id,
                        "gmail_thread_id": gmail_thread_id,
                        "customer": customer["id"] if customer else None,
                        "subject": subject,
                        "snippet": thread_messages[-1]["body_preview"],
                        "last_message_at": last,
                        "participants": [who_email, COMPANY_MAIL],
                        "message_count": count,
                        "labels": ["INBOX"] + (["Kunde"] if matched else ["Lead"]),
                        "is_matched": matched,
                        "matched_at": started + dt.timedelta(minutes=1) if matched else None,
                        "matched_by": rng.choice(["email", "ai"]) if matched else None,
                        "confidence": round(rng.uniform(0.8, 1.0), 3) if matched else None,
                    },
                    started,
                )
            )
        # Conversations on other channels (chat, phone, SMS): no Gmail thread.
        for index in range(ctx.pick(5, 80, 800)):
            customer = rng.choice(customers)
            started = ctx.moment(days_back=360)
            closed = rng.random() < 0.7
            conversations.append(
                _stamp(
                    {
                        "id": stable_id("renos.conversations", ctx.random_seed, index),
                        "customer": customer["id"],
                        "lead": None,
                        "subject": rng.choice(
                            ["Spørgsmål om tid", "Ændring af adresse", "Ros til medarbejder"]
                        ),
                        "channel": rng.choice(
                            [
                                models.ConversationChannel.CHAT,
                                models.ConversationChannel.PHONE,
                                models.ConversationChannel.SMS,
                            ]
                        ),
                        "status": models.ConversationStatus.CLOSED
                        if closed
                        else models.ConversationStatus.ACTIVE,
                        "gmail_thread_id": None,
                        "closed_at": started + dt.timedelta(hours=rng.randrange(1, 48)) if closed else None,
                    },
                    started,
                )
            )
        return threads, messages, conversations

    def responses_and_escalations(self, leads):
        ctx, rng = self.ctx, self.rng
        responses = []
        for lead in leads:
            quote = lead.get("_quote")
            if quote is None:
                continue
            # A draft quote's reply waits for review; a sent one's went out with it.
            status = (
                models.EmailResponseStatus.PENDING
                if quote["status"] == QuoteStatus.DRAFT
                else models.EmailResponseStatus.SENT
            )
            if status == models.EmailResponseStatus.PENDING and rng.random() < 0.3:
                status = rng.choice(
                    [models.EmailResponseStatus.APPROVED, models.EmailResponseStatus.REJECTED]
                )
            created = quote["created_at"] + dt.timedelta(minutes=2)
            sent = status == models.EmailResponseStatus.SENT
            responses.append(
                _stamp(
                    {
                        "id": stable_id("renos.email_responses", quote["id"]),
                        "lead": lead["id"],
                        "recipient_email": lead["email"],
                        "subject": f"Tilbud på {lead['task_type']}",
                        "body": (
                            f"Hej {_first_name(lead['name'])},\n\nTak for din henvendelse. Vi kan tilbyde "
                            f"{lead['task_type']} af {lead['square_meters']} m² for {quote['total']} kr. "
                            f"inkl. moms ({quote['estimated_hours']} timer à {quote['hourly_rate']} kr.).\n\n"
                            "Venlig hilsen\nRendetalje"
                        ),
                        "status": status,
                        "gmail_thread_id": lead["email_thread_id"] if sent else None,
                        "gmail_message_id": f"demo{_hex(ctx)}" if sent else None,
                        "sent_at": created + dt.timedelta(minutes=rng.randrange(5, 120)) if sent else None,
                        "rejected_reason": "Prisen skal justeres"
                        if status == models.EmailResponseStatus.REJECTED
                        else None,
                        "ai_model": AI_MODEL,
                    },
                    created,
                )
            )
        escalations = []
        with_email = [lead for lead in leads if lead["email"]]
        for index in range(ctx.pick(3, 40, 400)):
            lead = rng.choice(with_email)
            score = rng.randrange(40, 100)
            severity = (
                "critical" if score > 90 else "high" if score > 75 else "medium" if score > 55 else "low"
            )
            at = max(ctx.moment(days_back=300), lead["created_at"])
            resolved = rng.random() < 0.7
            escalations.append(
                _stamp(
                    {
                        "id": stable_id("renos.escalations", ctx.random_seed, index),
                        "lead": lead["id"],
                        "customer_email": lead["email"],
                        "customer_name": lead["name"],
                        "thread_id": lead["email_thread_id"] or f"demo{_hex(ctx)}",
                        "severity": severity,
                        "conflict_score": score,
                        "matched_keywords": rng.sample(ESCALATION_KEYWORDS, rng.randrange(1, 4)),
                        "email_snippet": f"Jeg er {rng.choice(ESCALATION_KEYWORDS[:2])} med rengøringen …",
                        "escalated_at": at,
                        "escalated_by": "conflict-detector",
                        "owner_notified": True,
                        "resolved_at": at + dt.timedelta(hours=rng.randrange(1, 72)) if resolved else None,
                        "resolution": "Gratis genbesøg aftalt" if resolved else None,
                    },
                    at,
                )
            )
        return responses, escalations

    def chats(self):
        ctx, rng = self.ctx, self.rng
        sessions, messages = [], []
        for index in range(ctx.pick(10, 250, 2_500)):
            session_id = stable_id("renos.chat_sessions", ctx.random_seed, index)
            started = ctx.moment(days_back=360)
            sessions.append(
                _stamp(
                    {
                        "id": session_id,
                        "user_id": _uuid(ctx) if rng.random() < 0.4 else None,
                        "channel": rng.choice(["web", "web", "messenger"]),
                        "locale": "da-DK",
                    },
                    started,
                )
            )
            service = rng.choice(self.services)
            m2 = rng.randrange(40, 200)
            words = {
                "service": service["name"].lower(),
                "m2": m2,
                "hours": max(2, m2 // 30),
                "rate": service["price"],
                "day": rng.choice(DAYS),
            }
            at = started
            turns = [("system", "Du er RenOS, Rendetaljes assistent. Svar kort og venligt på dansk.")]
            for _ in range(rng.randrange(1, 4)):
                turn = rng.randrange(len(CHAT_OPENERS))
                turns += [("user", CHAT_OPENERS[turn]), ("assistant", CHAT_REPLIES[turn])]
            for number, (role, text) in enumerate(turns):
                messages.append(
                    _stamp(
                        {
                            "id": stable_id("renos.chat_messages", session_id, number),
                            "session": session_id,
                            "role": role,
                            "content": text.format(**words),
                            "timestamp": at,
                        },
                        at,
                    )
                )
                at += dt.timedelta(seconds=rng.randrange(3, 90))
        return sessions, messages

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
                rows.append(
                    _stamp(
                        {
                            "id": stable_id("renos.analytics", date, metric),
                            "date": date,
                            "metric": metric,
                            "value": Decimal(figures[date, metric]).quantize(
                                Decimal("0.0001"), ROUND_HALF_UP
                            ),
                            "metadata": {"source": "seed"},
                        },
                        at,
                    )
                )
        return rows

    def task_executions(self, leads) -> list[dict]:
        ctx, rng = self.ctx, self.rng
        statuses = models.TaskExecutionStatus
        rows = []
        for index in range(ctx.pick(30, 800, 8_000)):
            task_type, intent = rng.choice(TASK_TYPES)
            lead = rng.choice(leads)
            status = _weighted(
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
            rows.append(
                _stamp(
                    {
                        "id": stable_id("renos.task_executions", ctx.random_seed, index),
                        "task_type": task_type,
                        "task_payload": {"lead_id": str(lead["id"]), "source": lead["source"]},
                        "status": status,
                        "result": {"ok": True, "lead_status": lead["status"]}
                        if status == statuses.SUCCESS
                        else None,
                        "error": "Gmail API: 503 Service Unavailable" if status == statuses.FAILED else None,
                        "duration": rng.randrange(40, 8_000) if finished else None,
                        "trace_id": _hex(ctx, 32),
                        "session_id": lead["session_id"],
                        "user_id": None,
                        "intent": intent,
                        "confidence": round(rng.uniform(0.55, 0.99), 3),
                        "correction_type": "intent" if rng.random() < 0.03 else None,
                        "executed_at": at,
                    },
                    at,
                )
            )
        return rows

    def competitor_pricing(self) -> list[dict]:
        ctx, rng = self.ctx, self.rng
        rows = []
        for months_back in range(ctx.pick(2, 12, 24)):
            at = self.ctx.now - dt.timedelta(days=30 * months_back + 1)
            for competitor in COMPETITORS:
                base = Decimal(rng.randrange(299, 399))
                rows.append(
                    _stamp(
                        {
                            "id": stable_id("renos.competitor_pricing", competitor, at.date()),
                            "competitor": competitor,
                            "website_url": f"https://www.{_slug(competitor).replace('.', '')}.dk/priser",
                            "pricing_data": {
                                "fast_rengoering_per_time": f"{base}.00",
                                "hovedrengoering_per_time": f"{base + 40}.00",
                                "flytterengoering_per_m2": f"{rng.randrange(28, 45)}.00",
                                "valuta": "DKK",
                                "inkl_moms": True,
                            },
                            "scraped_at": at,
                            "credits_used": rng.randrange(1, 4),
                        },
                        at,
                    )
                )
        return rows

    def catalogue(self) -> tuple[list[dict], list[dict]]:
        at = self.ctx.now - dt.timedelta(days=800)
        services = [
            _stamp(
                {
                    "id": stable_id("renos.services", service["name"]),
                    "name": service["name"],
                    "description": f"{service['description']} Pris pr. time ekskl. moms.",
                    "price": service["price"],
                    "duration": service["duration"],
                },
                at,
            )
            for service in self.services
        ]
        labels = [_stamp({"id": stable_id("renos.labels", name), "name": name}, at) for name in LABELS]
        return services, labels


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


def _without_taken_numbers(invoices: list[dict], lines: list[dict]) -> tuple[list[dict], list[dict]]:
    """Leave out seeded invoices whose number a real (non-seeded) invoice already holds."""
    numbers = [invoice["invoice_number"] for invoice in invoices]
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT invoice_number, id FROM "renos"."invoices" WHERE invoice_number = ANY(%s)', [numbers]
        )
        taken = dict(cursor.fetchall())
    kept = [
        invoice
        for invoice in invoices
        if taken.get(invoice["invoice_number"], invoice["id"]) == invoice["id"]
    ]
    if len(kept) == len(invoices):
        return invoices, lines
    ids = {invoice["id"] for invoice in kept}
    return kept, [line for line in lines if line["invoice"] in ids]


def _raise_counters(ctx: SeedContext, invoices: list[dict]) -> None:
    """Raise each year's invoice counter to the highest seeded number (never lower it)."""
    highest: dict[int, int] = {}
    for invoice in invoices:
        year, number = invoice["invoice_number"].split("-")
        highest[int(year)] = max(highest.get(int(year), 0), int(number))
    schema, table = table_of(models.InvoiceCounter)
    inserted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for year, number in sorted(highest.items()):
            at = dt.datetime(year, 12, 31, 23, 0, tzinfo=dt.UTC) if year < ctx.now.year else ctx.now
            cursor.execute(
                f"""
                INSERT INTO "{schema}"."{table}" AS counter (id, year, last_number, created_at, updated_at)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (year) DO UPDATE
                    SET last_number = EXCLUDED.last_number, updated_at = EXCLUDED.updated_at
                WHERE counter.last_number < EXCLUDED.last_number
                RETURNING xmax = 0
                """,
                [stable_id("renos.invoice_number_counters", year), year, number, at, at],
            )
            row = cursor.fetchone()
            inserted += bool(row and row[0])
    label = f"{schema}.{table}"
    ctx.inserted[label] = ctx.inserted.get(label, 0) + inserted


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
        load(ctx, model, _clean(rows), total=len(rows))
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
        load(ctx, model, _clean(rows), total=len(rows))


def _ingest_runs(ctx: SeedContext) -> list[dict]:
    rows = []
    for offset in range(ctx.pick(7, 90, 365)):
        started = (ctx.now - dt.timedelta(days=offset)).replace(hour=5, minute=0)
        failed = ctx.rng.random() < 0.03
        new = ctx.rng.randrange(0, 25)
        updated = ctx.rng.randrange(0, 40)
        rows.append(
            _stamp(
                {
                    "id": stable_id("renos.email_ingest_runs", started),
                    "started_at": started,
                    "finished_at": started + dt.timedelta(seconds=ctx.rng.randrange(20, 400)),
                    "status": models.EmailIngestRunStatus.FAILED
                    if failed
                    else models.EmailIngestRunStatus.COMPLETED,
                    "total_emails": new + updated,
                    "new_emails": new,
                    "updated_emails": updated,
                    "errors": 1 if failed else 0,
                    "error_log": [{"error": "Gmail API: 429 rate limit", "at": started.isoformat()}]
                    if failed
                    else None,
                },
                started,
            )
        )
    return rows


def reset(ctx: SeedContext) -> None:
    truncate_app(ctx)
