"""factory-boy factories for every crm model (tests and demo data), with Danish fake data."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from shared.seeding import slug

from .models import Activity, Company, Contact, CrmMetric, Deal, DealProduct, Email, Task
from .services import _close_fields, line_total


def fake(provider: str, **kwargs):
    return factory.Faker(provider, locale="da_DK", **kwargs)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    class Params:
        # The name's own domain, under RFC 2606's reserved top-level domain: no address reaches anyone.
        domain = factory.LazyAttribute(lambda company: f"{slug(company.name).replace('.', '')}.example")

    name = fake("company")
    website = factory.LazyAttribute(lambda company: f"https://www.{company.domain}")
    industry = factory.Iterator(["Rengøring", "Ejendomme", "IT", "Detail", "Hotel"])
    email = factory.LazyAttribute(lambda company: f"info@{company.domain}")
    phone = fake("phone_number")
    address = fake("street_address")
    city = fake("city")
    postal_code = fake("postcode")
    country = "Denmark"
    registration_number = factory.Sequence(lambda n: f"{30000000 + n}")  # the CVR number
    vat_number = factory.LazyAttribute(lambda company: f"DK{company.registration_number}")
    status = Company.Status.CUSTOMER
    owner = "sales@tekup.dk"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = fake("first_name")
    last_name = fake("last_name")
    email = factory.Sequence(lambda n: f"kontakt{n}@example.dk")
    phone = fake("phone_number")
    title = fake("job")
    company = factory.SubFactory(CompanyFactory)
    city = fake("city")
    postal_code = fake("postcode")
    status = Contact.Status.ACTIVE
    source = factory.Iterator(["website", "referral", "phone", "event"])
    owner = "sales@tekup.dk"
    tags = factory.LazyFunction(lambda: ["kunde"])


def _closing(deal) -> dict:
    """The services' closing rule for the deal's stage (`crm.services`, as create_deal and move_deal
    apply it): a closed deal has its close date and a probability of 100 (won) or 0 (lost)."""
    return _close_fields(deal.stage, close_date=deal.closed_on)


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    title = factory.Sequence(lambda n: f"Rengøringsaftale {n}")
    value = factory.Iterator([Decimal("12000.00"), Decimal("4500.50"), Decimal("98000.00")])
    currency = "DKK"

    class Params:
        # The day a closed deal closed: today, as create_deal and move_deal close it.
        closed_on = factory.LazyFunction(timezone.localdate)

    stage = Deal.Stage.QUALIFICATION
    status = factory.LazyAttribute(lambda deal: Deal.status_for_stage(deal.stage))
    actual_close_date = factory.LazyAttribute(lambda deal: _closing(deal)["actual_close_date"])
    pipeline = "sales"
    # An open deal's chance is 20 %; a closed deal's is the closing rule's (won 100, lost 0).
    probability = factory.LazyAttribute(lambda deal: _closing(deal).get("probability", 20))
    contact = factory.SubFactory(ContactFactory)
    company = factory.SelfAttribute("contact.company")
    owner = "sales@tekup.dk"
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))


class DealProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealProduct

    deal = factory.SubFactory(DealFactory)
    product_name = factory.Iterator(["Hovedrengøring", "Vinduespudsning", "Kontorrengøring"])
    quantity = Decimal("2")
    unit_price = Decimal("499.00")
    discount = Decimal("10")
    total = factory.LazyAttribute(
        lambda line: line_total(
            quantity=Decimal(line.quantity),
            unit_price=Decimal(line.unit_price),
            discount=Decimal(line.discount),
        )
    )


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    type = Activity.Type.CALL
    subject = "Opfølgning på tilbud"
    description = fake("sentence")
    contact = factory.SubFactory(ContactFactory)
    company = factory.SelfAttribute("contact.company")
    owner = "sales@tekup.dk"
    duration_minutes = 15
    outcome = "Interesseret"
    occurred_at = factory.LazyFunction(timezone.now)


class EmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Email

    subject = "Tilbud på rengøring"
    body = fake("paragraph")
    from_address = "sales@tekup.dk"
    to = factory.LazyAttribute(lambda email: [email.contact.email] if email.contact else ["kunde@example.dk"])
    direction = Email.Direction.OUTBOUND
    status = Email.Status.SENT
    contact = factory.SubFactory(ContactFactory)
    thread_id = factory.Sequence(lambda n: f"thread-{n}")
    sent_at = factory.LazyFunction(timezone.now)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Ring til kunde {n}")
    description = fake("sentence")
    assigned_to = "sales@tekup.dk"
    contact = factory.SubFactory(ContactFactory)
    status = Task.Status.TODO
    priority = Task.Priority.MEDIUM
    due_date = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))


class CrmMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrmMetric

    date = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=n))
    metric = "new_leads"
    value = 7.0
    metadata = factory.LazyFunction(dict)
