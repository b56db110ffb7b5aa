"""The TTL cache of Billy.dk invoices, customers and products, per organization, and its figures.

A read never deletes: an expired entry reads as absent until `clear_expired_cache` removes it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from shared import validation as v

from ..models import (
    CACHE_MODELS,
    CachedCustomer,
    CachedEntry,
    CachedInvoice,
    CachedProduct,
    Organization,
    is_expired,
    live_q,
)
from .validation import _json_text, _organization, _positive_timedelta, _text

DEFAULT_CACHE_TTL = timedelta(minutes=60)


def _cache_set(model: type[CachedEntry], organization, billy_id, data, ttl) -> datetime:
    organization = _organization(organization)
    billy_id = _text("billy_id", billy_id)
    ttl = _positive_timedelta("ttl", ttl)
    payload = _json_text("data", data)
    now = timezone.now()
    expires_at = now + ttl
    table = connection.ops.quote_name(model._meta.db_table)
    # One statement: concurrent setters of one key cannot collide, and it is atomic on its own.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, billy_id, data, cached_at, expires_at) "
            "VALUES (%s, %s, %s::jsonb, %s, %s) "
            "ON CONFLICT (organization_id, billy_id) DO UPDATE SET data = EXCLUDED.data, "
            "cached_at = EXCLUDED.cached_at, expires_at = EXCLUDED.expires_at, "
            "updated_at = EXCLUDED.cached_at",
            [organization.pk, billy_id, payload, now, expires_at],
        )
    return expires_at


def _cache_get(model: type[CachedEntry], organization, billy_id) -> Any | None:
    organization = _organization(organization)
    billy_id = _text("billy_id", billy_id)
    table = connection.ops.quote_name(model._meta.db_table)
    # The unique (organization_id, billy_id) index finds the row; expiry is checked here rather than in
    # SQL, so the planner has one obvious index to consider. An expired row is left for
    # clear_expired_cache: a read stays a read.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT data, expires_at FROM {table} WHERE organization_id = %s AND billy_id = %s",
            [organization.pk, billy_id],
        )
        row = cursor.fetchone()
    if row is None or is_expired(row[1]):
        return None
    return json.loads(row[0])


def set_cached_invoice(
    *, organization: Organization, billy_id: str, data: Any, ttl: timedelta = DEFAULT_CACHE_TTL
) -> datetime:
    """Cache an invoice's JSON until now + ttl (replacing any cached copy); returns the expiry.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its
    column, data that is not JSON (finite numbers, no \\u0000, at most 1 MB), a ttl over ten years.
    """
    return _cache_set(CachedInvoice, organization, billy_id, data, ttl)


def get_cached_invoice(*, organization: Organization, billy_id: str) -> Any | None:
    """The cached invoice JSON, or None when absent or expired.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its column.
    """
    return _cache_get(CachedInvoice, organization, billy_id)


def set_cached_customer(
    *, organization: Organization, billy_id: str, data: Any, ttl: timedelta = DEFAULT_CACHE_TTL
) -> datetime:
    """Cache a customer's JSON until now + ttl (replacing any cached copy); returns the expiry.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its
    column, data that is not JSON (finite numbers, no \\u0000, at most 1 MB), a ttl over ten years.
    """
    return _cache_set(CachedCustomer, organization, billy_id, data, ttl)


def get_cached_customer(*, organization: Organization, billy_id: str) -> Any | None:
    """The cached customer JSON, or None when absent or expired.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its column.
    """
    return _cache_get(CachedCustomer, organization, billy_id)


def set_cached_product(
    *, organization: Organization, billy_id: str, data: Any, ttl: timedelta = DEFAULT_CACHE_TTL
) -> datetime:
    """Cache a product's JSON until now + ttl (replacing any cached copy); returns the expiry.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its
    column, data that is not JSON (finite numbers, no \\u0000, at most 1 MB), a ttl over ten years.
    """
    return _cache_set(CachedProduct, organization, billy_id, data, ttl)


def get_cached_product(*, organization: Organization, billy_id: str) -> Any | None:
    """The cached product JSON, or None when absent or expired.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its column.
    """
    return _cache_get(CachedProduct, organization, billy_id)


def clear_expired_cache() -> dict[str, int]:
    """Delete every expired row of the three caches: {"invoices": n, "customers": n, "products": n}.

    Raises nothing of its own (it takes no arguments).
    """
    with transaction.atomic():
        return {name: rows.delete()[0] for name, rows in CachedEntry.objects.expired().items()}


def cache_tables() -> dict[str, str]:
    """The cache tables by name ("invoices", "customers", "products") and their labels for people.

    Raises nothing of its own (it takes no arguments).
    """
    return {name: str(model._meta.verbose_name_plural) for name, model in CACHE_MODELS.items()}


def cache_figures(*, cache: str, now: datetime, since: datetime) -> dict[str, int]:
    """One cache table in figures: {"rows": all, "live": not expired at `now`, "recent": cached since
    `since`}, in one aggregate query (the dashboard runs it per table under a statement timeout).

    Raises ValidationError keyed by the argument: a cache that is not one of `cache_tables()`, a now or
    since that is not a timezone-aware datetime.
    """
    cache = v.choice(cache, name="cache", choices=CACHE_MODELS)
    now = v.aware_datetime(now, name="now")
    since = v.aware_datetime(since, name="since")
    return CACHE_MODELS[cache].objects.aggregate(
        rows=Count("pk"),
        live=Count("pk", filter=live_q(now)),
        recent=Count("pk", filter=Q(cached_at__gte=since)),
    )
