"""Argument strategies of `flow.services`."""

from __future__ import annotations

from hypothesis import strategies as st

from .base import API_KEY, EMAIL, JSON, JSON_OBJECT, aware, maybe, slug, spec, words


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
        "secret": maybe(API_KEY),
        "allowed_ips": maybe(st.lists(st.ip_addresses().map(str), max_size=3)),
        "is_active": st.booleans(),
    }


@spec("flow.services.set_webhook_secret")
def _(w):
    return {"webhook": st.just(w.webhook), "secret": maybe(API_KEY)}


@spec("flow.services.webhook_secret")
def _(w):
    return {"webhook": st.just(w.webhook)}
