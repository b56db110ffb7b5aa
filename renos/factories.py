"""factory-boy factories for every renos model, with Danish fake data (Faker locale "da_DK").

Used by the tests and by the demo data (`renos.demo` builds every row with `shared.seeding.built`), so
both get the same rules. Every factory builds a row that satisfies the table's constraints, and derived
columns follow from the ones they depend on: an invoice's VAT and total from its subtotal, a line's
amount from quantity × unit price, a quote's totals from rate × hours (`renos.pricing`); a stopped
timer's figures from its start, stop and breaks, a break's minutes from its span (`renos.timekeeping`);
a lead's priority, rooms and size from its score and square metres, an escalation's severity from its
conflict score, a plan's or task's price from its time at the hourly rate. An invoice created (not
built) takes its number from the same gap-free counter as the services.
"""

import datetime as dt
from decimal import Decimal

import factory
import factory.random
from django.db import transaction
from django.utils import timezone
from factory.django import DjangoModelFactory

from . import models, pricing, timekeeping
from .services import allocate_invoice_number

LOCALE = "da_DK"


def fake(provider: str, **kwargs) -> factory.Faker:
    return factory.Faker(provider, locale=LOCALE, **kwargs)


def money(low: int, high: int) -> factory.Faker:
    return fake("pydecimal", left_digits=None, right_digits=2, min_value=low, max_value=high)


def recent(days: int = 60) -> factory.LazyFunction:
    """A moment within the last `days` days, relative to timezone.now() (which tests may move)."""
    return factory.LazyFunction(
        lambda: timezone.now() - dt.timedelta(minutes=factory.random.randgen.randint(0, days * 24 * 60))
    )


def lead_priority(score: int) -> str:
    """A lead's priority from its score (0-100): above 90 urgent, above 70 high, above 35 medium."""
    if score > 90:
        return models.LeadPriority.URGENT
    if score > 70:
        return models.LeadPriority.HIGH
    if score > 35:
        return models.LeadPriority.MEDIUM
    return models.LeadPriority.LOW


def escalation_severity(conflict_score: int) -> str:
    """An escalation's severity from the conflict detector's score: above 90 critical, above 75 high,
    above 55 medium."""
    if conflict_score > 90:
        return models.EscalationSeverity.CRITICAL
    if conflict_score > 75:
        return models.EscalationSeverity.HIGH
    if conflict_score > 55:
        return models.EscalationSeverity.MEDIUM
    return models.EscalationSeverity.LOW


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = models.Customer

    name = fake("name")
    email = factory.Sequence(lambda n: f"kunde{n}@example.dk")
    phone = fake("phone_number")
    address = fake("address")
    company_name = fake("company")
    status = models.CustomerStatus.ACTIVE
    tags = factory.LazyFunction(lambda: ["privat"])


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = models.Lead

    customer = None
    source = factory.Iterator(["website", "email", "phone", "leadpoint", "rengøring.nu"])
    name = fake("name")
    email = factory.Sequence(lambda n: f"lead{n}@example.dk")
    phone = fake("phone_number")
    address = fake("address")
    square_meters = fake("pydecimal", left_digits=3, right_digits=0, min_value=30, max_value=300)
    # A room for every 30 m² (at least one), and the size as people write it.
    rooms = factory.LazyAttribute(
        lambda o: None if o.square_meters is None else max(1, int(o.square_meters) // 30)
    )
    estimated_size = factory.LazyAttribute(
        lambda o: None if o.square_meters is None else f"{o.square_meters} m²"
    )
    task_type = factory.Iterator(["fast rengøring", "flytterengøring", "hovedrengøring", "erhverv"])
    preferred_dates = factory.LazyFunction(list)
    score = fake("pyint", min_value=0, max_value=100)
    priority = factory.LazyAttribute(lambda o: lead_priority(o.score))


class QuoteFactory(DjangoModelFactory):
    class Meta:
        model = models.Quote

    lead = factory.SubFactory(LeadFactory)
    hourly_rate = Decimal("349.00")
    estimated_hours = Decimal("3.00")
    vat_rate = pricing.VAT_RATE
    subtotal = factory.LazyAttribute(lambda o: pricing.quote_subtotal(o.hourly_rate, o.estimated_hours))
    total = factory.LazyAttribute(lambda o: pricing.total_with_vat(o.subtotal, o.vat_rate))
    valid_until = factory.LazyFunction(lambda: timezone.localdate(timezone.now()) + dt.timedelta(days=30))


class BookingFactory(DjangoModelFactory):
    class Meta:
        model = models.Booking

    customer = factory.SubFactory(CustomerFactory)
    lead = None
    quote = None
    service_type = factory.Iterator(
        ["fast rengøring", "flytterengøring", "hovedrengøring", "vinduespudsning"]
    )
    address = fake("address")
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))
    estimated_duration = 120
    # A stopped timer (both times given) has the figures stop_timer writes; otherwise none.
    actual_start_time = None
    actual_end_time = None
    actual_duration = factory.LazyAttribute(lambda o: o.timer and o.timer.actual_duration)
    time_variance = factory.LazyAttribute(lambda o: o.timer and o.timer.time_variance)
    efficiency_score = factory.LazyAttribute(lambda o: o.timer and o.timer.efficiency_score)

    class Params:
        # The timer's closed breaks, as (start, end) pairs: their time is not work.
        break_times = ()
        timer = factory.LazyAttribute(
            lambda o: (
                timekeeping.stopped_timer(
                    start=o.actual_start_time,
                    stop=o.actual_end_time,
                    estimated_minutes=o.estimated_duration,
                    breaks=o.break_times,
                )
                if o.actual_start_time is not None and o.actual_end_time is not None
                else None
            )
        )


class BreakFactory(DjangoModelFactory):
    class Meta:
        model = models.Break

    booking = factory.SubFactory(BookingFactory)
    start_time = recent(7)
    end_time = factory.LazyAttribute(lambda o: o.start_time + dt.timedelta(minutes=15))
    # As Break.compute_duration: whole minutes, none while the break is open.
    duration = factory.LazyAttribute(
        lambda o: None if o.end_time is None else timekeeping.minutes_between(o.start_time, o.end_time)
    )
    reason = "frokost"


class ChatSessionFactory(DjangoModelFactory):
    class Meta:
        model = models.ChatSession

    user_id = fake("uuid4")
    channel = factory.Iterator(["web", "messenger"])
    locale = "da-DK"


class ChatMessageFactory(DjangoModelFactory):
    class Meta:
        model = models.ChatMessage

    session = factory.SubFactory(ChatSessionFactory)
    role = factory.Iterator([models.ChatMessageRole.USER, models.ChatMessageRole.ASSISTANT])
    content = fake("sentence")


class ConversationFactory(DjangoModelFactory):
    class Meta:
        model = models.Conversation

    customer = factory.SubFactory(CustomerFactory)
    lead = None
    subject = fake("sentence", nb_words=5)
    gmail_thread_id = factory.Sequence(lambda n: f"conv-thread-{n}")


class EmailIngestRunFactory(DjangoModelFactory):
    class Meta:
        model = models.EmailIngestRun

    started_at = recent(7)
    finished_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(minutes=2))
    status = models.EmailIngestRunStatus.COMPLETED
    new_emails = 5
    updated_emails = 7
    total_emails = factory.LazyAttribute(lambda o: o.new_emails + o.updated_emails)


class EmailThreadFactory(DjangoModelFactory):
    class Meta:
        model = models.EmailThread

    gmail_thread_id = factory.Sequence(lambda n: f"thread-{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    subject = fake("sentence", nb_words=5)
    snippet = fake("sentence")
    last_message_at = recent(30)
    participants = factory.LazyAttribute(
        lambda o: [o.customer.email] if o.customer else ["info@rendetalje.dk"]
    )
    labels = factory.LazyFunction(lambda: ["INBOX"])


class EmailMessageFactory(DjangoModelFactory):
    class Meta:
        model = models.EmailMessage

    gmail_message_id = factory.Sequence(lambda n: f"msg-{n:06d}")
    thread = factory.SubFactory(EmailThreadFactory)
    sender = fake("email")
    to = factory.LazyFunction(lambda: ["info@rendetalje.dk"])
    subject = factory.SelfAttribute("thread.subject")
    body = fake("paragraph")
    body_preview = factory.LazyAttribute(lambda o: o.body[:120])
    sent_at = recent(30)


class EmailResponseFactory(DjangoModelFactory):
    class Meta:
        model = models.EmailResponse

    lead = factory.SubFactory(LeadFactory)
    recipient_email = factory.SelfAttribute("lead.email")
    subject = "Tilbud på rengøring"
    body = fake("paragraph")
    ai_model = "gemini-2.0-flash"


class EscalationFactory(DjangoModelFactory):
    class Meta:
        model = models.Escalation

    lead = factory.SubFactory(LeadFactory)
    customer_email = factory.SelfAttribute("lead.email")
    customer_name = factory.SelfAttribute("lead.name")
    thread_id = factory.Sequence(lambda n: f"thread-esc-{n}")
    conflict_score = 80
    severity = factory.LazyAttribute(lambda o: escalation_severity(o.conflict_score))
    matched_keywords = factory.LazyFunction(lambda: ["utilfreds", "refusion"])
    email_snippet = fake("sentence")
    escalated_by = "conflict-detector"


class CleaningPlanFactory(DjangoModelFactory):
    class Meta:
        model = models.CleaningPlan

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Ugentlig rengøring {n}")
    service_type = "fast rengøring"
    frequency = models.PlanFrequency.WEEKLY
    estimated_duration = 180
    estimated_price = factory.LazyAttribute(
        lambda o: pricing.price_for_minutes(o.hourly_rate, o.estimated_duration)
    )
    square_meters = Decimal("85")

    class Params:
        hourly_rate = Decimal("349.00")


class CleaningTaskFactory(DjangoModelFactory):
    class Meta:
        model = models.CleaningTask

    plan = factory.SubFactory(CleaningPlanFactory)
    name = factory.Iterator(["Støvsugning", "Gulvvask", "Badeværelse", "Køkken", "Aftørring"])
    category = factory.Iterator(["gulve", "vådrum", "køkken"])
    estimated_time = 15
    sort_order = factory.Sequence(int)
    # Priced on its own only when an hourly rate is given.
    price_per_task = factory.LazyAttribute(
        lambda o: pricing.price_for_minutes(o.hourly_rate, o.estimated_time)
    )

    class Params:
        hourly_rate = None


class CleaningPlanBookingFactory(DjangoModelFactory):
    class Meta:
        model = models.CleaningPlanBooking

    plan = factory.SubFactory(CleaningPlanFactory)
    booking = factory.SubFactory(BookingFactory, customer=factory.SelfAttribute("..plan.customer"))


class InvoiceFactory(DjangoModelFactory):
    """A draft invoice with consistent totals; add lines with InvoiceLineItemFactory if needed."""

    class Meta:
        model = models.Invoice

    customer = factory.SubFactory(CustomerFactory)
    booking = None
    customer_name = factory.SelfAttribute("customer.name")
    customer_email = factory.SelfAttribute("customer.email")
    customer_address = factory.SelfAttribute("customer.address")
    issue_date = factory.LazyFunction(lambda: timezone.localdate(timezone.now()))
    due_date = factory.LazyAttribute(lambda o: o.issue_date + dt.timedelta(days=14))
    status = models.InvoiceStatus.DRAFT
    subtotal = money(100, 10_000)
    vat_rate = pricing.VAT_RATE
    vat_amount = factory.LazyAttribute(lambda o: pricing.vat_amount(o.subtotal, o.vat_rate))
    total = factory.LazyAttribute(lambda o: o.subtotal + o.vat_amount)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The number comes from the services' counter, so that later create_invoice() calls follow on.
        with transaction.atomic():
            if not kwargs.get("invoice_number"):
                kwargs["invoice_number"] = allocate_invoice_number(year=kwargs["issue_date"].year)
            return super()._create(model_class, *args, **kwargs)


class InvoiceLineItemFactory(DjangoModelFactory):
    class Meta:
        model = models.InvoiceLineItem

    invoice = factory.SubFactory(InvoiceFactory)
    description = factory.Iterator(["Fast rengøring", "Kørsel", "Vinduespudsning"])
    quantity = Decimal("2.00")
    unit_price = Decimal("349.00")
    amount = factory.LazyAttribute(lambda o: pricing.line_amount(o.quantity, o.unit_price))
    sort_order = factory.Sequence(int)


class InvoiceCounterFactory(DjangoModelFactory):
    class Meta:
        model = models.InvoiceCounter
        django_get_or_create = ["year"]

    year = 1999
    last_number = 0


class AnalyticsFactory(DjangoModelFactory):
    class Meta:
        model = models.Analytics

    date = factory.Sequence(lambda n: timezone.localdate(timezone.now()) - dt.timedelta(days=n))
    metric = factory.Iterator(["leads_created", "bookings_created", "revenue"])
    value = fake("pydecimal", left_digits=4, right_digits=2, positive=True)


class TaskExecutionFactory(DjangoModelFactory):
    class Meta:
        model = models.TaskExecution

    task_type = factory.Iterator(["send_quote", "classify_email", "book_calendar"])
    task_payload = factory.LazyFunction(lambda: {"lead": "x"})
    status = models.TaskExecutionStatus.SUCCESS
    result = factory.LazyFunction(lambda: {"ok": True})
    duration = fake("pyint", min_value=20, max_value=5000)
    trace_id = fake("uuid4")
    intent = "quote_request"
    confidence = 0.92


class CompetitorPricingFactory(DjangoModelFactory):
    class Meta:
        model = models.CompetitorPricing

    competitor = fake("company")
    website_url = fake("url")
    pricing_data = factory.LazyFunction(lambda: {"fast_rengoering_per_time": "329.00"})


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = models.Service

    name = factory.Iterator(["Fast rengøring", "Flytterengøring", "Hovedrengøring", "Vinduespudsning"])
    description = fake("sentence")
    price = money(300, 5000)
    duration = 120


class LabelFactory(DjangoModelFactory):
    class Meta:
        model = models.Label

    name = factory.Sequence(lambda n: f"label-{n}")
