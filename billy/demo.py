"""Seed the billy schema: organizations with encrypted demo keys, their users, cached Billy.dk
objects (a tenth already expired, so the cleanup has work), the MCP tool audit trail, hourly usage
metrics (1,000,000 rows at `large`) and rate-limit windows.

The rows people look at are made by the app's factories (`billy.factories`, through
`shared.seeding.built`), which hold the services' rules: the encrypted key, the cache's expiry, the
rate-limit window's end. Usage rows keep the running sums consistent with the derived columns, as
`billy.services` does (the factories' `average_duration_ms` and `cache_hit_rate`).
"""

from __future__ import annotations

import datetime as dt
import math

from billy import factories, models
from billy.services import rate_limit_window
from shared.seeding import (
    SeedContext,
    built,
    load,
    slug,
    stable_id,
    truncate_app,
)

TOOLS = [
    "list_invoices",
    "get_invoice",
    "create_invoice",
    "list_customers",
    "create_customer",
    "list_products",
    "get_organization",
    "list_bank_payments",
]
ENDPOINTS = ["/v2/invoices", "/v2/contacts", "/v2/products", "/v2/bankPayments"]
RATE_LIMIT_WINDOW = dt.timedelta(minutes=1)
ROLES = [
    models.OrganizationUser.Role.ADMIN,
    models.OrganizationUser.Role.USER,
    models.OrganizationUser.Role.USER,
    models.OrganizationUser.Role.USER,
    models.OrganizationUser.Role.READONLY,
]
# RFC 2606: a reserved domain, so no demo address can reach anyone.
DEMO_MAIL_DOMAIN = "billy.example.com"


def organization_ids(ctx: SeedContext) -> list:
    return [stable_id("billy.organizations", f"demo-{index:05d}") for index in range(ctx.pick(3, 10, 20))]


def seed(ctx: SeedContext) -> None:
    orgs = organization_ids(ctx)
    org_rows = list(_organization_rows(ctx, orgs))
    load(ctx, models.Organization, org_rows, total=len(org_rows))

    users = list(_user_rows(ctx, orgs))
    load(ctx, models.OrganizationUser, users, total=len(users))

    per_org = ctx.pick(10, 100, 500)
    for factory_class, kind in (
        (factories.CachedInvoiceFactory, "invoice"),
        (factories.CachedCustomerFactory, "contact"),
        (factories.CachedProductFactory, "product"),
    ):
        rows = _cache_rows(ctx, orgs, per_org, factory_class, kind)
        load(ctx, factory_class._meta.model, rows, total=len(orgs) * per_org)

    audit_count = ctx.pick(100, 5_000, 50_000)
    load(ctx, models.ToolAuditLog, _audit_rows(ctx, users, audit_count), total=audit_count)

    hours_per_day = len(orgs) * len(TOOLS) * 24
    days = math.ceil(ctx.pick(500, 50_000, 1_000_000) / hours_per_day)
    load(ctx, models.UsageMetric, _usage_rows(ctx, orgs, days), total=days * hours_per_day)

    windows = ctx.pick(10, 200, 2_000)
    load(ctx, models.RateLimit, _rate_limit_rows(ctx, orgs, windows), total=windows)


def _organization_rows(ctx, orgs):
    """The organizations; the factory names them and encrypts their demo keys as the services do."""
    for index, org_id in enumerate(orgs):
        created = ctx.moment(days_back=700)
        yield built(
            factories.OrganizationFactory,
            id=org_id,
            billy_organization_id=f"demo-{index:05d}",
            api_key=f"demo-billy-key-{index:05d}",  # a demo value, not a real key
            settings={"currency": "DKK", "locale": "da_DK"},
            is_active=index % 7 != 6,
            api_key_rotated_at=created,
            created_at=created,
            updated_at=created,
        )


def _user_rows(ctx, orgs):
    for org_index, org_id in enumerate(orgs):
        for index in range(4):
            email = f"{slug(ctx.faker.user_name())}.{org_index}.{index}@{DEMO_MAIL_DOMAIN}"
            yield built(
                factories.OrganizationUserFactory,
                id=stable_id("billy.users", org_id, email),
                email=email,
                organization_id=org_id,
                role=ctx.rng.choice(ROLES),
                last_login_at=ctx.moment(days_back=30),
            )


def _cache_rows(ctx, orgs, per_org, factory_class, kind):
    for org_id in orgs:
        for index in range(per_org):
            billy_id = f"{kind}-{index:06d}"
            cached_at = ctx.now - dt.timedelta(minutes=ctx.rng.randrange(0, 50))
            yield built(
                factory_class,
                id=stable_id(f"billy.cached_{kind}", org_id, billy_id),
                organization_id=org_id,
                billy_id=billy_id,
                data=_cached_data(ctx, kind, billy_id, index),
                cached_at=cached_at,
                # A tenth expired half a day before they were cached: work for the cleanup; the rest are
                # good for two days.
                ttl=-dt.timedelta(hours=12) if index % 10 == 9 else dt.timedelta(days=2),
            )


def _cached_data(ctx, kind, billy_id, index) -> dict:
    """The JSON of a Billy.dk invoice, contact or product, as the MCP server caches it."""
    if kind == "invoice":
        return {
            "id": billy_id,
            "invoiceNo": 10_000 + index,
            "contactName": ctx.faker.company(),
            "amount": f"{ctx.rng.randrange(500, 250_000)}.00",
            "currency": "DKK",
            "state": ctx.rng.choice(["draft", "approved", "paid"]),
        }
    if kind == "contact":
        return {"id": billy_id, "name": ctx.faker.company(), "city": ctx.faker.city()}
    return {"id": billy_id, "name": ctx.faker.bs().capitalize(), "unitPrice": ctx.rng.randrange(50, 5000)}


def _audit_rows(ctx, users, count):
    for index in range(count):
        user = ctx.rng.choice(users)
        success = ctx.rng.random() > 0.05
        tool = ctx.rng.choice(TOOLS)
        at = ctx.moment(days_back=90)
        yield built(
            factories.ToolAuditLogFactory,
            id=stable_id("billy.audit_logs", ctx.random_seed, index),
            organization_id=user["organization"],
            user_id=user["id"],
            tool_name=tool,
            action=tool.split("_", 1)[0],
            resource_type=tool.split("_", 1)[1].rstrip("s"),
            input_params={"page": ctx.rng.randrange(1, 5)},
            success=success,
            error_message=None if success else "Billy API answered 429 Too Many Requests",
            duration_ms=ctx.rng.randrange(40, 2_500),
            ip_address=ctx.faker.ipv4_private(),
            user_agent="tekup-billy-mcp/1.4",
            created_at=at,
            updated_at=at,
        )


def _usage_rows(ctx, orgs, days):
    # Plain dicts, not the factory: 1,000,000 rows at `large`, and a build costs about 0.3 ms a row
    # (minutes for the lot). The derived columns come from the factory's own rules all the same.
    rng = ctx.rng
    # The `days * 24` UTC hours (the slots billy.services.track_usage counts calls in) up to and including
    # the seed's current hour.
    first_slot = ctx.now - dt.timedelta(hours=days * 24 - 1)
    for slot in range(days * 24):
        moment = first_slot + dt.timedelta(hours=slot)
        date, hour = moment.date(), moment.hour
        for org_id in orgs:
            for tool in TOOLS:
                calls = rng.randrange(1, 60)
                errors = calls // 20 if rng.random() < 0.3 else 0
                duration_sum = float(calls * rng.randrange(80, 900))
                lookups = calls
                hits = rng.randrange(0, lookups + 1)
                yield {
                    "id": stable_id("billy.usage_metrics", org_id, date, hour, tool),
                    "organization": org_id,
                    "date": date,
                    "hour": hour,
                    "tool_name": tool,
                    "call_count": calls,
                    "success_count": calls - errors,
                    "error_count": errors,
                    "avg_duration_ms": factories.average_duration_ms(duration_sum, calls),
                    "cache_hit_rate": factories.cache_hit_rate(hits, lookups),
                    "duration_sum_ms": duration_sum,
                    "duration_count": calls,
                    "cache_hits": hits,
                    "cache_lookups": lookups,
                }


def _rate_limit_rows(ctx, orgs, count):
    """One-minute windows going back from the seed's now, aligned as check_rate_limit aligns them (the
    factory ends each `window` after its start)."""
    for index in range(count):
        org_id = orgs[index % len(orgs)]
        endpoint = ENDPOINTS[(index // len(orgs)) % len(ENDPOINTS)]
        start, _ = rate_limit_window(moment=ctx.now - dt.timedelta(minutes=index), window=RATE_LIMIT_WINDOW)
        yield built(
            factories.RateLimitFactory,
            id=stable_id("billy.rate_limits", org_id, endpoint, start),
            organization_id=org_id,
            endpoint=endpoint,
            window_start=start,
            window=RATE_LIMIT_WINDOW,
            request_count=ctx.rng.randrange(1, 100),
        )


def reset(ctx: SeedContext) -> None:
    truncate_app(ctx)
