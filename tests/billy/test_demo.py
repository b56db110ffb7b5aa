"""billy's demo data (billy.demo) is made by billy's factories, and their rules hold in the seeded rows."""

import datetime as dt
from decimal import Decimal

from django.db import connection

from billy import demo, factories, services
from billy.models import CachedInvoice, Organization, RateLimit, UsageMetric
from operations.seeding import run_seed
from tests.support.built import models_built_by

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def test_every_row_kind_but_the_bulk_usage_history_is_made_by_its_factory(db, monkeypatch):
    built_models = models_built_by(monkeypatch, demo)
    run_seed(size="small", apps=["billy"], now=NOW)

    assert [model.__name__ for model in built_models] == [
        "Organization",
        "OrganizationUser",
        "CachedInvoice",
        "CachedCustomer",
        "CachedProduct",
        "ToolAuditLog",
        "RateLimit",
    ]
    assert UsageMetric.objects.exists()  # plain rows: a million at `large`


def test_the_factories_rules_hold_in_the_seeded_rows(db):
    run_seed(size="small", apps=["billy"], now=NOW)

    # The factory encrypts the key the demo chose, as the services store it.
    for organization in Organization.objects.all():
        suffix = organization.billy_organization_id.removeprefix("demo-")
        assert services.get_api_key(organization=organization) == f"demo-billy-key-{suffix}"
    # The cache's expiry is cached_at + ttl: two days, or half a day before caching for a tenth.
    lifetimes = [row.expires_at - row.cached_at for row in CachedInvoice.objects.all()]
    assert set(lifetimes) == {dt.timedelta(days=2), dt.timedelta(hours=-12)}
    assert lifetimes.count(dt.timedelta(hours=-12)) == len(lifetimes) // 10
    # Rate-limit windows: aligned as check_rate_limit aligns them, ending one window after their start.
    for window in RateLimit.objects.all():
        assert window.window_end - window.window_start == demo.RATE_LIMIT_WINDOW
        assert services.rate_limit_window(moment=window.window_start, window=demo.RATE_LIMIT_WINDOW) == (
            window.window_start,
            window.window_end,
        )
    # Usage rows: the derived columns are what track_usage's SQL computes from the running sums.
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM billy.usage_metrics WHERE
                 avg_duration_ms IS DISTINCT FROM duration_sum_ms / NULLIF(duration_count, 0)
              OR cache_hit_rate IS DISTINCT FROM round(100.0 * cache_hits / NULLIF(cache_lookups, 0), 2)
              OR success_count + error_count <> call_count"""
        )
        assert cursor.fetchone()[0] == 0


def test_the_factorys_usage_rules_are_track_usages(organization, clock):
    # 1 hit in 32 lookups is 3.125 %: PostgreSQL's round() gives 3.13 (half up), not 3.12 (half even).
    for call in range(32):
        services.track_usage(
            organization=organization,
            tool_name="list_invoices",
            success=True,
            duration_ms=100 + call,
            cache_hit=call == 0,
        )
    tracked = UsageMetric.objects.get(organization=organization)

    assert tracked.cache_hit_rate == factories.cache_hit_rate(1, 32) == Decimal("3.13")
    assert tracked.avg_duration_ms == factories.average_duration_ms(tracked.duration_sum_ms, 32)
    made = factories.UsageMetricFactory.build(
        call_count=32,
        duration_sum_ms=tracked.duration_sum_ms,
        duration_count=32,
        cache_hits=1,
        cache_lookups=32,
    )
    assert (made.avg_duration_ms, made.cache_hit_rate, made.success_count) == (
        tracked.avg_duration_ms,
        tracked.cache_hit_rate,
        tracked.success_count,
    )
    untimed = factories.UsageMetricFactory.build()
    assert (untimed.avg_duration_ms, untimed.cache_hit_rate) == (None, None)  # as a call without either


def test_a_cached_row_expires_one_ttl_after_it_was_cached(organization, clock):
    row = factories.CachedInvoiceFactory(organization=organization)
    expired = factories.CachedInvoiceFactory(organization=organization, ttl=-dt.timedelta(seconds=1))

    assert (row.cached_at, row.expires_at) == (clock.now, clock.now + services.DEFAULT_CACHE_TTL)
    assert not row.is_expired and expired.is_expired
