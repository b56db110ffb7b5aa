"""factory-boy factories of the billy models, for tests and the demo data (Faker locale da_DK).

They hold the services' rules for what they derive, so a test row and a demo row (`billy.demo`, through
`shared.seeding.built`) are made alike:
- `OrganizationFactory` stores an encrypted key like the services do; pass `api_key="..."` to choose
  the plaintext (it is not a model field).
- The cache factories cache at `timezone.now()` until `cached_at + ttl` (`set_cached_invoice` and its
  siblings; `ttl` defaults to DEFAULT_CACHE_TTL, a negative one gives a row that is already expired).
- `UsageMetricFactory` keeps the derived columns true to the running sums as `track_usage` does
  (`average_duration_ms`, `cache_hit_rate`, which the demo's plain usage rows use too).
- `RateLimitFactory`'s window ends `window` after its start, as `check_rate_limit` writes it.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from shared import crypto
from shared.money import CENT

from . import models
from .services import DEFAULT_CACHE_TTL

# check_rate_limit's default window.
DEFAULT_RATE_LIMIT_WINDOW = timedelta(minutes=15)


def average_duration_ms(duration_sum_ms: float, duration_count: int) -> float | None:
    """`avg_duration_ms` as `track_usage` keeps it: the mean of the timed calls (None: none was timed)."""
    return duration_sum_ms / duration_count if duration_count else None


def cache_hit_rate(cache_hits: int, cache_lookups: int) -> Decimal | None:
    """`cache_hit_rate` as `track_usage` keeps it: the percentage of cache lookups that hit, rounded half
    up to two places as PostgreSQL's round() does (None: no lookup)."""
    if not cache_lookups:
        return None
    return (Decimal(100 * cache_hits) / cache_lookups).quantize(CENT, ROUND_HALF_UP)


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
    class Params:
        ttl = DEFAULT_CACHE_TTL

    organization = factory.SubFactory(OrganizationFactory)
    billy_id = factory.Sequence(lambda n: f"billy-{n:06d}")
    data = factory.LazyAttribute(lambda o: {"id": o.billy_id, "amount": "100.00"})
    # Read at call time: a test's frozen clock (tests.support.clock) moves it.
    cached_at = factory.LazyFunction(lambda: timezone.now())
    expires_at = factory.LazyAttribute(lambda o: o.cached_at + o.ttl)


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
    error_count = 0
    success_count = factory.LazyAttribute(lambda o: o.call_count - o.error_count)
    duration_sum_ms = 0.0
    duration_count = 0
    avg_duration_ms = factory.LazyAttribute(
        lambda o: average_duration_ms(o.duration_sum_ms, o.duration_count)
    )
    cache_hits = 0
    cache_lookups = 0
    cache_hit_rate = factory.LazyAttribute(lambda o: cache_hit_rate(o.cache_hits, o.cache_lookups))


class RateLimitFactory(DjangoModelFactory):
    class Meta:
        model = models.RateLimit

    class Params:
        window = DEFAULT_RATE_LIMIT_WINDOW

    organization = factory.SubFactory(OrganizationFactory)
    endpoint = "/v2/invoices"
    window_start = factory.LazyFunction(timezone.now)
    window_end = factory.LazyAttribute(lambda o: o.window_start + o.window)
    request_count = 1
