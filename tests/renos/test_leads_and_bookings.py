import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from renos.factories import CustomerFactory, LeadFactory, QuoteFactory
from renos.models import Booking, Customer, Lead, LeadStatus, Quote, QuoteStatus
from renos.services import book, create_lead, quote_lead


def test_create_lead_stores_the_fields_and_lowercases_the_email(db):
    lead = create_lead(
        name="Mette Hansen", email=" Mette@Example.DK ", phone="+45 22 33 44 55", source="website"
    )

    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.name, stored.email, stored.source) == ("Mette Hansen", "mette@example.dk", "website")
    assert (stored.status, stored.priority, stored.score, stored.preferred_dates) == ("new", "medium", 0, [])


def test_create_lead_with_the_same_key_returns_the_first_lead(db):
    first = create_lead(idempotency_key="form-123", name="Første")
    again = create_lead(idempotency_key="form-123", name="Anden")

    assert again.pk == first.pk and again.name == "Første"
    assert Lead.objects.count() == 1


def test_create_lead_counts_on_the_customer_only_once_per_key(db):
    customer = CustomerFactory()

    create_lead(idempotency_key="k", name="A", customer=customer)
    create_lead(idempotency_key="k", name="A", customer=customer)

    customer.refresh_from_db()
    assert customer.total_leads == 1 and customer.last_contact_at is not None


def test_create_lead_refuses_unknown_fields(db):
    with pytest.raises(ValidationError, match="Unknown lead field.*colour"):
        create_lead(name="A", colour="red")
    assert not Lead.objects.exists()


def test_create_lead_needs_a_way_to_reach_the_lead(db):
    with pytest.raises(ValidationError, match="name, an email address or a phone number"):
        create_lead(source="website")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"email": "not-an-email"}, "valid email"),
        ({"name": "A", "status": "bogus"}, "'bogus' is not a status"),
        ({"name": "A", "score": 101}, "score"),
    ],
)
def test_create_lead_validates_the_fields(db, fields, message):
    with pytest.raises(ValidationError, match=message):
        create_lead(**fields)
    assert not Lead.objects.exists()


def test_create_lead_refuses_a_blank_key(db):
    with pytest.raises(ValidationError, match="idempotency_key must be a non-empty string"):
        create_lead(idempotency_key="  ", name="A")


def test_quote_lead_computes_subtotal_and_total_in_decimals(db, clock):
    lead = LeadFactory(status=LeadStatus.NEW)

    quote = quote_lead(lead=lead, hourly_rate=Decimal("349.00"), estimated_hours=Decimal("2.75"))

    stored = Quote.objects.get(pk=quote.pk)
    # 349 × 2.75 = 959.75; VAT 25 % = 239.9375 → 239.94; total 1199.69
    assert (stored.subtotal, stored.total, stored.vat_rate) == (
        Decimal("959.75"),
        Decimal("1199.69"),
        Decimal("25"),
    )
    assert stored.status == QuoteStatus.DRAFT
    assert stored.valid_until == dt.date(2026, 4, 1)
    assert lead.status == LeadStatus.QUOTED


def test_quote_lead_rounds_vat_half_up_to_ore(db):
    # subtotal 0.10 × 0.25 = 0.025 → 0.03 (half up), not 0.02 (banker's rounding)
    quote = quote_lead(lead=LeadFactory(), hourly_rate=Decimal("0.10"), estimated_hours=Decimal("1"))

    assert quote.total == Decimal("0.13")


def test_quote_lead_keeps_a_booked_lead_booked(db):
    lead = LeadFactory(status=LeadStatus.BOOKED)

    quote_lead(lead=lead, hourly_rate=Decimal("300"), estimated_hours=Decimal("1"))

    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.BOOKED


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hourly_rate": 349.0}, "hourly_rate must be a Decimal"),
        ({"hourly_rate": Decimal("-1")}, "hourly_rate must not be negative"),
        ({"estimated_hours": Decimal("0")}, "estimated_hours must be positive"),
        ({"vat_rate": Decimal("125")}, "vat_rate must be between 0 and 100"),
        ({"hourly_rate": Decimal("1.234")}, "decimal places"),
        ({"hourly_rate": "abc"}, "hourly_rate must be a number"),
    ],
)
def test_quote_lead_refuses_bad_numbers(db, kwargs, message):
    arguments = {"hourly_rate": Decimal("349"), "estimated_hours": Decimal("2"), **kwargs}

    with pytest.raises(ValidationError, match=message):
        quote_lead(lead=LeadFactory(), **arguments)
    assert not Quote.objects.exists()


def test_book_counts_the_booking_on_the_customer(db, clock):
    customer = CustomerFactory()

    booking = book(scheduled_at=clock.now + dt.timedelta(days=3), customer=customer, address="Vestergade 1")
    book(scheduled_at=clock.now + dt.timedelta(days=10), customer=customer)

    assert Booking.objects.get(pk=booking.pk).address == "Vestergade 1"
    assert customer.total_bookings == 2  # the caller's instance follows
    assert Customer.objects.get(pk=customer.pk).last_contact_at == clock.now


def test_book_from_a_quote_takes_lead_customer_and_duration(db, clock):
    customer = CustomerFactory()
    lead = LeadFactory(customer=customer)
    quote = QuoteFactory(lead=lead, estimated_hours=Decimal("2.5"))

    booking = book(scheduled_at=clock.now, quote=quote)

    assert (booking.lead, booking.customer, booking.estimated_duration) == (lead, customer, 150)
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.ACCEPTED
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.BOOKED
    assert Customer.objects.get(pk=customer.pk).total_bookings == 1


def test_book_links_a_lead_without_customer_and_counts_it(db, clock):
    customer = CustomerFactory()
    lead = LeadFactory(customer=None)

    book(scheduled_at=clock.now, customer=customer, lead=lead)

    assert Lead.objects.get(pk=lead.pk).customer == customer
    customer.refresh_from_db()
    assert (customer.total_leads, customer.total_bookings) == (1, 1)


def test_book_for_a_lead_alone(db, clock):
    lead = LeadFactory(customer=None)

    booking = book(scheduled_at=clock.now, lead=lead)

    assert booking.customer is None and booking.lead == lead


@pytest.mark.parametrize(
    "case, message",
    [
        ("nobody", "needs a customer or a lead"),
        ("naive", "timezone-aware"),
        ("other_customer", "lead belongs to another customer"),
        ("other_lead", "quote was made for another lead"),
        ("rejected_quote", "quote is rejected"),
        ("unknown_field", "Unknown booking field.*timer_status"),
    ],
)
def test_book_refuses(db, clock, case, message):
    lead = LeadFactory(customer=CustomerFactory())
    kwargs = {"scheduled_at": clock.now}
    if case == "naive":
        kwargs.update(
            scheduled_at=dt.datetime(2026, 3, 3, 9),  # noqa: DTZ001 (naive on purpose)
            customer=CustomerFactory(),
        )
    elif case == "other_customer":
        kwargs.update(customer=CustomerFactory(), lead=lead)
    elif case == "other_lead":
        kwargs.update(lead=lead, quote=QuoteFactory())
    elif case == "rejected_quote":
        kwargs.update(quote=QuoteFactory(lead=lead, status=QuoteStatus.REJECTED))
    elif case == "unknown_field":
        kwargs.update(customer=lead.customer, timer_status="running")

    with pytest.raises(ValidationError, match=message):
        book(**kwargs)
    assert not Booking.objects.exists()
    assert Customer.objects.filter(total_bookings__gt=0).count() == 0
