"""The one place where each public service function's valid arguments are declared.

`SPECS["<module>.<function>"]` is a function of the `World` (saved rows to refer to) that returns a dict
of Hypothesis strategies, one per argument: every argument the function takes, optional ones too, so
that the hostile test can replace each of them. A function in a services module's `__all__` without an
entry here fails `test_every_public_function_has_a_strategy`: add one when you add a function.

`HOSTILE` (see `hostile()`) is what replaces one argument at a time: it is the same for every function.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ..world import World

Spec = Callable[[World], dict[str, st.SearchStrategy[Any]]]
SPECS: dict[str, Spec] = {}


def spec(qualname: str) -> Callable[[Spec], Spec]:
    def register(function: Spec) -> Spec:
        SPECS[qualname] = function
        return function

    return register


# --- building blocks -----------------------------------------------------------------------------------

_PRINTABLE = st.characters(
    min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc", "Zl", "Zp")
)


def words(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(_PRINTABLE, min_size=1, max_size=max_size).filter(lambda s: s.strip() != "")


def slug(max_size: int = 30) -> st.SearchStrategy[str]:
    return st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=max_size)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | words(20)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(slug(10), inner, max_size=4),
    max_leaves=10,
)
JSON_OBJECT = st.dictionaries(slug(10), JSON, max_size=4)
MONEY = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
EMAIL = st.builds(lambda user: f"{user}@example.dk", slug(20))


def aware(days: int = 365) -> st.SearchStrategy[dt.datetime]:
    now = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    return st.integers(-days * 86400, days * 86400).map(lambda s: now + dt.timedelta(seconds=s))


def _unit_vector(seed: int) -> list[float]:
    from vault.factories import random_unit_vector

    return random_unit_vector(seed)


VECTOR = st.integers(0, 10**6).map(_unit_vector)


# --- the hostile values ----------------------------------------------------------------------------------

_FIXED_HOSTILE: list[Any] = [
    None,
    "",
    "   ",
    "\x00",
    "abc\x00def",
    "\ud800",
    "tekup\udfff",
    "x" * 300,
    "y" * 70_000,
    "é" * 2_000,
    "javascript:alert(1)",
    "not a url",
    "ftp://files.example/x",
    "notalist",
    "Europe/Nowhere",
    "* * *",
    "1e999999",
    "NaN",
    float("nan"),
    float("inf"),
    float("-inf"),
    1e30,
    -1e30,
    0.1,
    -1,
    0,
    2**31,
    -(2**63),
    10**40,
    True,
    False,
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("1e30"),
    Decimal("-0.001"),
    Decimal("1.23456789"),
    b"bytes",
    bytearray(b"x"),
    object(),
    [],
    {},
    (),
    set(),
    [None],
    [float("nan")],
    [True] * 1536,
    [0.0] * 1536,
    [float("inf")] + [0.0] * 1535,
    {"a": float("nan")},
    {"a": float("inf")},
    {"text": "nul\x00inside"},
    {"nul\x00key": 1},
    {1: "int key"},
    {"surrogate": "\ud800"},
    {"set": {1, 2}},
    {
        "deep": [
            [
                [
                    [
                        [
                            [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                [
                                                                                                                                                                                    [
                                                                                                                                                                                        [
                                                                                                                                                                                            [
                                                                                                                                                                                                [
                                                                                                                                                                                                    [
                                                                                                                                                                                                        [
                                                                                                                                                                                                            [
                                                                                                                                                                                                                [
                                                                                                                                                                                                                    [
                                                                                                                                                                                                                        [
                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                                    1
                                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                ]
                                                                                                                                                                                                            ]
                                                                                                                                                                                                        ]
                                                                                                                                                                                                    ]
                                                                                                                                                                                                ]
                                                                                                                                                                                            ]
                                                                                                                                                                                        ]
                                                                                                                                                                                    ]
                                                                                                                                                                                ]
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        ]
                    ]
                ]
            ]
        ]
    },
    {"big": "z" * 1_100_000},
    dt.datetime(2026, 1, 1, 12, 0),  # noqa: DTZ001 (naive on purpose)
    dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    dt.datetime(1899, 12, 31, tzinfo=dt.UTC),
    dt.date(9999, 12, 31),
    dt.date(1, 1, 1),
    dt.timedelta(0),
    dt.timedelta(days=-1),
    dt.timedelta.max,
    dt.timedelta.min,
    math.pi,
    lambda: None,
]


def core_hostile(world: World) -> list[Any]:
    """The values every argument of every function is tried with, each of them, on every run: one of
    each kind the issue lists (the random `hostile()` then explores around them)."""
    return [
        None,
        "",
        "abc\x00def",
        "tekup\udfff",
        "y" * 70_000,
        "javascript:alert(1)",
        float("nan"),
        float("inf"),
        1e30,
        -1,
        10**40,
        True,
        Decimal("NaN"),
        Decimal("1e30"),
        object(),
        [True] * 1536,
        {"a": float("nan"), "b": "nul\x00"},
        dt.datetime(2026, 1, 1, 12, 0),  # noqa: DTZ001 (naive on purpose)
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
        dt.timedelta.max,
        world.unsaved[0],
        world.saved["sync_status"],  # saved, and of a model no other service takes
    ]


def hostile(world: World) -> st.SearchStrategy[Any]:
    """Values no service may turn into anything but a result or a ValidationError."""
    instances = list(world.saved.values())
    return st.one_of(
        st.sampled_from(_FIXED_HOSTILE),
        st.sampled_from(instances),  # saved, but often of the wrong model
        st.sampled_from(world.unsaved),
        st.text(min_size=0, max_size=20).map(lambda s: s + "\x00"),
        st.text(st.characters(codec="utf-8"), max_size=300),  # anything encodable, control characters too
        st.integers(),
        st.floats(),
        st.decimals(),
        st.datetimes(timezones=st.just(dt.UTC) | st.none()),
        st.lists(st.floats(), max_size=3),
        st.dictionaries(st.text(max_size=3), st.floats() | st.text(max_size=3), max_size=3),
    )


# --- shared ---------------------------------------------------------------------------------------------


@spec("shared.services.create_user")
def _(w):
    return {
        "email": EMAIL,
        "name": words(),
        "password": maybe(st.just("a-long-test-passw0rd-ÆØÅ")),
        "is_staff": st.booleans(),
    }


@spec("shared.services.log_event")
def _(w):
    return {
        "action": words(),
        "resource_type": slug(),
        "resource_id": slug(),
        "user": maybe(st.just(w.user)),
        "metadata": maybe(JSON_OBJECT),
    }


@spec("shared.services.user_by_email")
def _(w):
    return {"email": st.just(w.user).map(lambda user: user.email) | EMAIL}


@spec("shared.services.audit_trail")
def _(w):
    return {
        "instance": maybe(st.just(w.user)),
        "model": st.none(),
        "pk": st.none(),
        "limit": st.integers(1, 200),
    }


# --- billy ------------------------------------------------------------------------------------------------

_API_KEY = st.text("abcdefABCDEF0123456789", min_size=16, max_size=64)


@spec("billy.services.find_organization")
def _(w):
    return {"billy_organization_id": slug()}


@spec("billy.services.create_organization")
def _(w):
    return {
        "name": words(),
        "billy_api_key": _API_KEY,
        "billy_organization_id": slug(),
        "settings": maybe(JSON_OBJECT),
    }


@spec("billy.services.set_api_key")
def _(w):
    return {"organization": st.just(w.organization), "billy_api_key": _API_KEY}


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


# --- crm ---------------------------------------------------------------------------------------------------


@spec("crm.services.create_company")
def _(w):
    return {
        "name": words(),
        "country": words(),
        # keyword fields of crm.companies
        "website": maybe(st.just("https://tekup.dk")),
        "revenue": maybe(MONEY),
        "status": st.sampled_from(["active", "inactive", "prospect", "customer"]),
        "tags": st.lists(slug(), max_size=3),
        "custom_fields": maybe(JSON_OBJECT),
    }


@spec("crm.services.create_contact")
def _(w):
    return {
        "first_name": words(),
        "last_name": words(),
        "email": maybe(EMAIL),
        "company": maybe(st.just(w.company)),
        "next_follow_up": maybe(aware()),
        "linkedin": maybe(st.just("https://linkedin.com/in/x")),
    }


_STAGES = ["qualification", "proposal", "negotiation", "closed_won", "closed_lost"]


@spec("crm.services.create_deal")
def _(w):
    return {
        "title": words(),
        "value": MONEY,
        "owner": EMAIL,
        "stage": st.sampled_from(_STAGES),
        "contact": maybe(st.just(w.contact)),
        "company": maybe(st.just(w.company)),
        "currency": st.sampled_from(["DKK", "EUR", "usd"]),
        "pipeline": slug(),
        "probability": maybe(st.integers(0, 100)),
        "expected_close_date": maybe(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))),
    }


@spec("crm.services.move_deal")
def _(w):
    return {
        "deal": st.sampled_from([w.deal, w.won_deal]),
        "stage": st.sampled_from(_STAGES),
        "lost_reason": maybe(words()),
    }


@spec("crm.services.reopen_deal")
def _(w):
    return {"deal": st.sampled_from([w.deal, w.won_deal]), "stage": st.sampled_from(_STAGES)}


@spec("crm.services.line_total")
def _(w):
    return {
        "quantity": st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2),
        "unit_price": MONEY,
        "discount": st.decimals(min_value=0, max_value=100, places=2),
    }


@spec("crm.services.add_deal_product")
def _(w):
    return {
        "deal": st.just(w.deal),
        "product_name": words(),
        "unit_price": MONEY,
        "quantity": st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
        "discount": st.decimals(min_value=0, max_value=100, places=2),
        "description": maybe(words()),
    }


@spec("crm.services.log_activity")
def _(w):
    return {
        "type": st.sampled_from(["call", "email", "meeting", "note", "task_completed"]),
        "owner": EMAIL,
        "subject": maybe(words()),
        "description": maybe(words()),
        "contact": maybe(st.just(w.contact)),
        "company": st.just(w.company),
        "deal": maybe(st.just(w.deal)),
        "duration_minutes": maybe(st.integers(0, 600)),
        "outcome": maybe(words()),
        "occurred_at": maybe(aware()),
    }


@spec("crm.services.pipeline_summary")
def _(w):
    return {"pipeline": slug()}


# --- flow --------------------------------------------------------------------------------------------------


@spec("flow.services.create_workflow")
def _(w):
    return {
        "name": words(),
        "owner": EMAIL,
        "description": maybe(words()),
        "trigger": maybe(JSON_OBJECT),
        "nodes": maybe(st.lists(JSON_OBJECT, max_size=3)),
        "edges": maybe(st.lists(JSON_OBJECT, max_size=3)),
        "timeout": st.integers(1, 86400),
        "retry_attempts": st.integers(0, 10),
        "is_template": st.booleans(),
        "template": maybe(st.just(w.template)),
    }


for _name in ("activate_workflow", "pause_workflow", "archive_workflow"):

    @spec(f"flow.services.{_name}")
    def _(w):
        return {"workflow": st.sampled_from([w.workflow, w.draft_workflow])}


@spec("flow.services.execute_workflow")
def _(w):
    return {
        "workflow": st.sampled_from([w.workflow, w.draft_workflow]),
        "input": JSON,
        "triggered_by": maybe(slug()),
        "metadata": maybe(JSON_OBJECT),
    }


@spec("flow.services.record_step")
def _(w):
    return {
        "execution": st.just(w.execution),
        "step_id": slug(),
        "step_name": words(),
        "step_type": slug(),
        "status": st.sampled_from(["pending", "running", "completed", "failed", "skipped"]),
        "input": JSON,
        "output": JSON,
        "error": maybe(words()),
        "started_at": maybe(aware()),
        "completed_at": maybe(aware()),
        "attempt_number": st.integers(1, 3),
        "max_attempts": st.integers(3, 5),
    }


@spec("flow.services.log_execution")
def _(w):
    return {
        "execution": st.just(w.execution),
        "level": st.sampled_from(["debug", "info", "warning", "error"]),
        "message": words(),
        "data": JSON,
        "step_id": maybe(slug()),
    }


@spec("flow.services.finish_execution")
def _(w):
    return {
        "execution": st.just(w.execution),
        "status": st.sampled_from(["completed", "failed", "cancelled"]),
        "output": JSON,
        "error": maybe(words()),
    }


_ZONES = st.sampled_from(["Europe/Copenhagen", "UTC", "America/New_York", "Asia/Kathmandu"])
_CRON = st.sampled_from(["0 9 * * *", "*/15 * * * *", "0 0 1 1 *", "30 8 * * 1-5"])


@spec("flow.services.validate_timezone")
def _(w):
    return {"timezone": _ZONES}


@spec("flow.services.validate_cron_expression")
def _(w):
    return {"cron_expression": _CRON}


@spec("flow.services.next_run_after")
def _(w):
    return {
        "after": aware(),
        "cron_expression": maybe(_CRON),
        "interval_minutes": st.integers(1, 10**5),
        "timezone_name": _ZONES,
        "start_date": maybe(aware()),
        "end_date": maybe(aware()),
    }


@spec("flow.services.create_schedule")
def _(w):
    return {
        "workflow": st.just(w.workflow),
        "name": words(),
        "cron_expression": maybe(_CRON),
        "interval_minutes": maybe(st.integers(1, 10**5)),
        "timezone": _ZONES,
        # keyword fields of flow.schedules
        "description": maybe(words()),
        "is_active": st.booleans(),
        "start_date": maybe(aware()),
        "end_date": maybe(aware()),
        "max_runs": maybe(st.integers(1, 1000)),
    }


_VARIABLE_VALUES = st.one_of(
    st.tuples(st.just("string"), words()),
    st.tuples(st.just("number"), st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str)),
    st.tuples(st.just("boolean"), st.sampled_from(["true", "false", True, False])),
    st.tuples(st.just("json"), JSON),
)


@spec("flow.services.stored_variable_value")
def _(w):
    return {
        "value": words(),
        "type": st.sampled_from(["string", "number", "boolean", "json"]),
        "is_secret": st.booleans(),
    }


@spec("flow.services.set_variable")
def _(w):
    return {
        "key": slug(),
        "value": words(),
        "workflow": maybe(st.just(w.workflow)),
        "type": st.just("string"),
        "is_secret": st.booleans(),
        "description": maybe(words()),
    }


@spec("flow.services.variable_value")
def _(w):
    return {"variable": st.just(w.variable)}


@spec("flow.services.clean_allowed_ips")
def _(w):
    return {"allowed_ips": maybe(st.lists(st.ip_addresses().map(str), max_size=4))}


@spec("flow.services.create_webhook")
def _(w):
    return {
        "workflow": st.just(w.workflow),
        "name": words(),
        "url": slug().map(lambda s: f"https://hooks.example.dk/{s}"),
        "method": st.sampled_from(["GET", "POST", "put"]),
        "secret": maybe(_API_KEY),
        "allowed_ips": maybe(st.lists(st.ip_addresses().map(str), max_size=3)),
        "is_active": st.booleans(),
    }


@spec("flow.services.set_webhook_secret")
def _(w):
    return {"webhook": st.just(w.webhook), "secret": maybe(_API_KEY)}


@spec("flow.services.webhook_secret")
def _(w):
    return {"webhook": st.just(w.webhook)}


# --- renos -------------------------------------------------------------------------------------------------


@spec("renos.services.anonymise_customer")
def _(w):
    return {"customer": st.just(w.customer)}


@spec("renos.services.create_lead")
def _(w):
    return {
        "idempotency_key": maybe(slug()),
        # keyword fields of renos.leads
        "name": words(),
        "email": maybe(EMAIL),
        "customer": maybe(st.just(w.customer)),
        "square_meters": maybe(st.integers(1, 10_000)),
        "preferred_dates": st.lists(slug(10), max_size=3),
        "estimated_value": maybe(MONEY),
        "enrichment_data": maybe(JSON_OBJECT),
    }


@spec("renos.services.quote_lead")
def _(w):
    return {
        "lead": st.just(w.lead),
        "hourly_rate": st.decimals(min_value=0, max_value=2000, places=2),
        "estimated_hours": st.decimals(min_value=Decimal("0.5"), max_value=100, places=2),
        "vat_rate": st.decimals(min_value=0, max_value=100, places=2),
    }


@spec("renos.services.book")
def _(w):
    return {
        "scheduled_at": aware(),
        "customer": maybe(st.just(w.customer)),
        "lead": maybe(st.just(w.lead)),
        "quote": maybe(st.just(w.quote)),
        # keyword fields of renos.bookings
        "service_type": maybe(words()),
        "estimated_duration": st.integers(1, 24 * 60),
        "notes": maybe(words()),
    }


for _name in ("start_timer", "start_break", "end_break", "stop_timer"):

    @spec(f"renos.services.{_name}")
    def _(w):
        return {"booking": st.sampled_from([w.booking, w.running_booking])}


SPECS["renos.services.start_break"] = lambda w: {
    "booking": st.sampled_from([w.booking, w.running_booking]),
    "reason": maybe(words()),
}


@spec("renos.services.allocate_invoice_number")
def _(w):
    return {"year": st.integers(1900, 2200)}


_LINE = st.fixed_dictionaries(
    {"description": words(), "unit_price": MONEY},
    optional={"quantity": st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)},
)


@spec("renos.services.create_invoice")
def _(w):
    return {
        "customer": st.just(w.customer),
        "lines": st.lists(_LINE, min_size=1, max_size=4),
        "booking": maybe(st.just(w.booking)),
        "vat_rate": st.decimals(min_value=0, max_value=100, places=2),
        "due_in_days": st.integers(0, 365),
    }


for _name in ("recalculate_invoice", "mark_invoice_sent", "cancel_invoice", "mark_invoice_reminder_sent"):

    @spec(f"renos.services.{_name}")
    def _(w):
        return {"invoice": st.just(w.invoice)}


@spec("renos.services.mark_invoice_paid")
def _(w):
    return {
        "invoice": st.just(w.invoice),
        "amount": st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2),
        "method": st.sampled_from(["bank_transfer", "mobilepay", "card", "cash"]),
        "reference": maybe(words()),
    }


@spec("renos.services.track_metric")
def _(w):
    return {
        "date": st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
        "metric": slug(),
        "value": st.decimals(min_value=-(10**6), max_value=10**6, places=2) | st.integers(-(10**6), 10**6),
    }


# --- vault -------------------------------------------------------------------------------------------------

_SOURCES = st.sampled_from(["github", "supabase", "render", "copilot", "local"])
_DOCUMENT = {
    "source": _SOURCES,
    "repository": slug(),
    "path": slug().map(lambda s: f"src/{s}.py"),
    "content": st.text(_PRINTABLE, max_size=200),
    "metadata": maybe(JSON_OBJECT),
    "sha": maybe(st.text("0123456789abcdef", min_size=40, max_size=40)),
}


@spec("vault.services.find_documents")
def _(w):
    return {"source": maybe(_SOURCES), "repository": maybe(slug()), "limit": st.integers(1, 100)}


@spec("vault.services.create_document")
def _(w):
    return dict(_DOCUMENT)


@spec("vault.services.upsert_document")
def _(w):
    return dict(_DOCUMENT)


@spec("vault.services.create_embedding")
def _(w):
    return {"document": st.just(w.document), "embedding": VECTOR, "model": slug()}


@spec("vault.services.get_sync_status")
def _(w):
    return {"source": maybe(_SOURCES), "repository": maybe(slug())}


@spec("vault.services.update_sync_status")
def _(w):
    return {
        "source": _SOURCES,
        "repository": slug(),
        "status": st.sampled_from(["pending", "in_progress", "success", "error"]),
        "error_message": maybe(words()),
    }


@spec("vault.services.request_resync")
def _(w):
    return {"sync_statuses": st.just([w.sync_status])}


_SEARCH = {
    "limit": st.integers(1, 50),
    "threshold": st.floats(-1, 1),
    "source": maybe(_SOURCES),
    "repository": maybe(slug()),
}


@spec("vault.services.semantic_search")
def _(w):
    return {"embedding": VECTOR, **_SEARCH}


@spec("vault.services.search_text")
def _(w):
    from vault.embedders import OfflineEmbedder

    return {"query": words(), "embedder": st.just(OfflineEmbedder()), **_SEARCH}


@spec("vault.services.count_documents_needing_embedding")
def _(w):
    return {"source": maybe(_SOURCES), "repository": maybe(slug())}


@spec("vault.services.embed_documents")
def _(w):
    from vault.embedders import OfflineEmbedder

    return {
        "source": maybe(_SOURCES),
        "repository": maybe(slug()),
        "embedder": st.just(OfflineEmbedder()),
        "batch_size": maybe(st.integers(1, 50)),
        "limit": maybe(st.integers(1, 50)),
        "progress": maybe(st.just(lambda done: None)),
    }


@spec("vault.services.bulk_upsert_documents")
def _(w):
    row = st.fixed_dictionaries(
        {key: _DOCUMENT[key] for key in ("source", "repository", "path", "content")},
        optional={"metadata": _DOCUMENT["metadata"], "sha": _DOCUMENT["sha"], "embedding": VECTOR},
    )
    return {
        "rows": st.lists(row, max_size=3),
        "batch_size": st.integers(1, 10),
        "progress": maybe(st.just(lambda done: None)),
    }


@spec("vault.services.content_hash")
def _(w):
    return {"content": st.text(_PRINTABLE, max_size=200)}
