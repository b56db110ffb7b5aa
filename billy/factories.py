"""factory-boy factories of the billy models, for tests and seeding (Faker locale da_DK).

`OrganizationFactory` stores an encrypted key like the services do; pass `api_key="..."` to choose
the plaintext (it is not a model field).
"""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from shared import crypto

from . import models


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = models.Organization
        exclude = ["api_key"]

    name = factory.Faker("company", locale="da_DK")
    billy_organization_id = factory.Sequence(lambda n: f"billy-org-{n:05d}")
    api_key = factory.Sequence(lambda n: f"test-billy-key-{n:05d}")
    billy_api_key = factory.LazyAttribute(lambda o: crypto.encrypt(o.api_key))


class OrganizationUserFactory(DjangoModelFactory):
    class Meta:
        model = models.OrganizationUser

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.dk")
    role = models.UserRole.USER


class _CachedEntryFactory(DjangoModelFactory):
    organization = factory.SubFactory(OrganizationFactory)
    billy_id = factory.Sequence(lambda n: f"billy-{n:06d}")
    data = factory.LazyAttribute(lambda o: {"id": o.billy_id, "amount": "100.00"})
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class CachedInvoiceFactory(_CachedEntryFactory):
    class Meta:
        model = models.CachedInvoice


class CachedCustomerFactory(_CachedEntryFactory):
    class Meta:
        model = models.CachedCustomer


class CachedProductFactory(_CachedEntryFactory):
    class Meta:
        model = models.CachedProduct


class ToolAuditLogFactory(DjangoModelFactory):
    class Meta:
        model = models.ToolAuditLog

    organization = factory.SubFactory(OrganizationFactory)
    tool_name = "list_invoices"
    action = "read"
    success = True


class UsageMetricFactory(DjangoModelFactory):
    class Meta:
        model = models.UsageMetric

    organization = factory.SubFactory(OrganizationFactory)
    date = factory.LazyFunction(lambda: timezone.now().date())
    hour = 12
    tool_name = "list_invoices"
    call_count = 1
    success_count = 1


class RateLimitFactory(DjangoModelFactory):
    class Meta:
        model = models.RateLimit

    organization = factory.SubFactory(OrganizationFactory)
    endpoint = "/v2/invoices"
    window_start = factory.LazyFunction(timezone.now)
    request_count = 1
