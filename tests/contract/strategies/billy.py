"""Argument strategies of `billy.services`."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from .base import API_KEY, JSON, JSON_OBJECT, aware, maybe, slug, spec, words


@spec("billy.services.find_organization")
def _(w):
    return {"billy_organization_id": slug()}


@spec("billy.services.create_organization")
def _(w):
    return {
        "name": words(),
        "billy_api_key": API_KEY,
        "billy_organization_id": slug(),
        "settings": maybe(JSON_OBJECT),
    }


@spec("billy.services.set_api_key")
def _(w):
    return {"organization": st.just(w.organization), "billy_api_key": API_KEY}


@spec("billy.services.get_api_key")
def _(w):
    return {"organization": st.just(w.organization)}


def _cache_set(w):
    return {
        "organization": st.just(w.organization),
        "billy_id": slug(),
        "data": JSON,
        "ttl": st.integers(1, 10**6).map(lambda s: dt.timedelta(seconds=s)),
    }


def _cache_get(w):
    return {"organization": st.just(w.organization), "billy_id": slug()}


for _kind in ("invoice", "customer", "product"):
    spec(f"billy.services.set_cached_{_kind}")(_cache_set)
    spec(f"billy.services.get_cached_{_kind}")(_cache_get)


@spec("billy.services.clear_expired_cache")
def _(w):
    return {}


@spec("billy.services.cache_tables")
def _(w):
    return {}


@spec("billy.services.cache_figures")
def _(w):
    return {
        "cache": st.sampled_from(["invoices", "customers", "products"]),
        "now": aware(),
        "since": aware(),
    }


@spec("billy.services.requests_per_hour")
def _(w):
    return {"since": aware(), "hours": st.integers(1, 744)}


@spec("billy.services.busiest_endpoints")
def _(w):
    return {"since": aware(), "limit": st.integers(1, 100)}


@spec("billy.services.log_audit")
def _(w):
    return {
        "tool_name": slug(),
        "action": words(),
        "success": st.booleans(),
        "organization": maybe(st.just(w.organization)),
        "user": maybe(st.just(w.organization_user)),
        "resource_type": maybe(slug()),
        "resource_id": maybe(slug()),
        "input_params": maybe(JSON_OBJECT),
        "output_data": maybe(JSON),
        "error_message": maybe(words()),
        "duration_ms": maybe(st.integers(0, 10**6)),
        "ip_address": maybe(st.ip_addresses().map(str)),
        "user_agent": maybe(words()),
    }


@spec("billy.services.get_audit_logs")
def _(w):
    return {
        "organization": st.just(w.organization),
        "user": maybe(st.just(w.organization_user)),
        "tool_name": maybe(slug()),
        "start": maybe(aware()),
        "end": maybe(aware()),
        "limit": st.integers(1, 1000),
    }


@spec("billy.services.track_usage")
def _(w):
    return {
        "organization": st.just(w.organization),
        "tool_name": slug(),
        "success": st.booleans(),
        "duration_ms": maybe(st.floats(0, 10**7) | st.integers(0, 10**7)),
        "cache_hit": maybe(st.booleans()),
    }


@spec("billy.services.get_usage_metrics")
def _(w):
    return {
        "organization": st.just(w.organization),
        "start": aware() | st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
        "end": aware() | st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    }


@spec("billy.services.get_daily_calls")
def _(w):
    return {"organization": st.just(w.organization), "days": st.integers(1, 366)}


@spec("billy.services.check_rate_limit")
def _(w):
    return {
        "organization": st.just(w.organization),
        "endpoint": slug(),
        "limit": st.integers(1, 10**6),
        "window": st.integers(1, 86400).map(lambda s: dt.timedelta(seconds=s)),
    }


@spec("billy.services.rate_limit_window")
def _(w):
    return {"moment": aware(), "window": st.integers(1, 86400).map(lambda s: dt.timedelta(seconds=s))}


@spec("billy.services.prune_history")
def _(w):
    return {
        "older_than": st.integers(1, 10**7).map(lambda s: dt.timedelta(seconds=s)),
        "dry_run": st.booleans(),
    }


@spec("billy.services.prune_tool_audit")
def _(w):
    return {
        "older_than": st.integers(1, 10**8).map(lambda s: dt.timedelta(seconds=s)),
        "dry_run": st.booleans(),
    }


@spec("flow.services.prune_execution_logs")
def _(w):
    return {
        "older_than": st.integers(1, 10**8).map(lambda s: dt.timedelta(seconds=s)),
        "dry_run": st.booleans(),
    }


@spec("shared.services.prune_audit")
def _(w):
    # from under the year's minimum retention (refused) to well over it
    return {
        "older_than": st.integers(300, 4000).map(lambda d: dt.timedelta(days=d)),
        "dry_run": st.booleans(),
    }
