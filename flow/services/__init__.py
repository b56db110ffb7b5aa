"""Public API of the flow schema: workflows and their life cycle, executions, schedules, variables, webhooks.

Sibling apps, the admin's actions and the commands call these; each validates first (a
`ValidationError` names what is wrong) and writes in a transaction.

Life cycle: draft → active ⇄ paused, and any of them → archived. Only an active workflow runs. A run
is an execution: `execute_workflow` starts it, `record_step` and `log_execution` record what happens,
`finish_execution` ends it and adds it to the workflow's counters and average duration in one UPDATE
(the database serialises concurrent finishes on the row, so counters stay exact).
"""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, FloatField, Func, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from shared import crypto
from shared import validation as v
from shared.audit import record_prune, table_key
from tekupdb.db import partitions

from ..models import Execution, ExecutionLog, ExecutionStep, Schedule, Variable, Webhook, Workflow

__all__ = [
    "prune_execution_logs",
    "activate_workflow",
    "archive_workflow",
    "clean_allowed_ips",
    "create_schedule",
    "create_webhook",
    "create_workflow",
    "execute_workflow",
    "finish_execution",
    "log_execution",
    "next_run_after",
    "pause_workflow",
    "record_step",
    "set_variable",
    "set_webhook_secret",
    "stored_variable_value",
    "validate_cron_expression",
    "validate_timezone",
    "variable_value",
    "webhook_secret",
]

FINISHED = (Execution.Status.COMPLETED, Execution.Status.FAILED, Execution.Status.CANCELLED)
SCHEDULE_FIELDS = {"description", "is_active", "start_date", "end_date", "max_runs"}


def _aware(value: Any, name: str) -> datetime | None:
    return v.optional_aware_datetime(value, name=name)


def _workflow(value: Any, name: str = "workflow") -> Workflow:
    return v.instance(value, name=name, model=Workflow)


def _execution(value: Any) -> Execution:
    return v.instance(value, name="execution", model=Execution)


def _json_list(value: Any, name: str) -> list | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise v.invalid(name, f"{name} must be a list, not {type(value).__name__}.")
    return v.json_value(value, name=name)


# --- workflows ------------------------------------------------------------------------------------


def create_workflow(
    *,
    name: str,
    owner: str,
    description: str | None = None,
    trigger: dict | None = None,
    nodes: list | None = None,
    edges: list | None = None,
    timeout: int = 3600,
    retry_attempts: int = 3,
    is_template: bool = False,
    template: Workflow | None = None,
) -> Workflow:
    """Create a draft workflow. From a template, the trigger, nodes and edges not given are copied.

    Raises ValidationError keyed by the argument: text outside its column, trigger not a JSON object,
    nodes or edges not a JSON list, a timeout or retry count outside its column, a template that is not
    a saved template workflow.
    """
    name = v.model_field(Workflow, "name", name)
    owner = v.model_field(Workflow, "owner", owner)
    description = v.model_field(Workflow, "description", description)
    trigger = v.json_object(trigger, name="trigger")
    nodes = _json_list(nodes, "nodes")
    edges = _json_list(edges, "edges")
    timeout = v.integer(timeout, name="timeout", min_value=1, max_value=v.INTEGER[1])
    retry_attempts = v.model_field(Workflow, "retry_attempts", retry_attempts)
    is_template = v.boolean(is_template, name="is_template")
    template = v.optional_instance(template, name="template", model=Workflow)
    if template is not None and not template.is_template:
        raise ValidationError({"template": f"Workflow '{template.name}' is not a template."})
    workflow = Workflow(
        name=name,
        owner=owner,
        description=description,
        trigger=trigger if trigger is not None else (template.trigger if template else {}),
        nodes=nodes if nodes is not None else (template.nodes if template else []),
        edges=edges if edges is not None else (template.edges if template else []),
        timeout=timeout,
        retry_attempts=retry_attempts,
        is_template=is_template,
        template=template,
        status=Workflow.Status.DRAFT,
    )
    return v.save_new(workflow, key="name")


def _transition(workflow: Workflow, *, to: str, allowed_from: tuple[str, ...]) -> Workflow:
    """One conditional UPDATE: the status changes only from an allowed one, whoever else is acting."""
    workflow = _workflow(workflow)
    changed = Workflow.objects.filter(pk=workflow.pk, status__in=allowed_from).update(
        status=to, updated_at=timezone.now()
    )
    if not changed:
        current = Workflow.objects.filter(pk=workflow.pk).values_list("status", flat=True).first()
        if current is None:
            raise v.invalid("workflow", f"Workflow {workflow.pk} does not exist.")
        allowed = " or ".join(allowed_from)
        raise v.invalid(
            "workflow", f"Workflow '{workflow.name}' is {current}; only a {allowed} workflow can become {to}."
        )
    workflow.refresh_from_db()
    return workflow


@transaction.atomic
def activate_workflow(*, workflow: Workflow) -> Workflow:
    """draft or paused → active. A workflow with no nodes has nothing to run and is refused.

    Raises ValidationError keyed by "workflow" (not a saved Workflow, gone, not draft or paused) or
    "nodes" (none to run).
    """
    workflow = _workflow(workflow)
    if not Workflow.objects.filter(pk=workflow.pk).exclude(nodes=[]).exclude(nodes={}).exists():
        raise v.invalid("workflow", f"Workflow '{workflow.name}' has no nodes; add at least one first.")
    return _transition(
        workflow, to=Workflow.Status.ACTIVE, allowed_from=(Workflow.Status.DRAFT, Workflow.Status.PAUSED)
    )


@transaction.atomic
def pause_workflow(*, workflow: Workflow) -> Workflow:
    """active → paused: new executions are refused, running ones finish.

    Raises ValidationError keyed by "workflow": not a saved Workflow, gone, or not active.
    """
    return _transition(workflow, to=Workflow.Status.PAUSED, allowed_from=(Workflow.Status.ACTIVE,))


@transaction.atomic
def archive_workflow(*, workflow: Workflow) -> Workflow:
    """draft, active or paused → archived (final), and its schedules stop.

    Raises ValidationError keyed by "workflow": not a saved Workflow, gone, or already archived.
    """
    result = _transition(
        workflow,
        to=Workflow.Status.ARCHIVED,
        allowed_from=(Workflow.Status.DRAFT, Workflow.Status.ACTIVE, Workflow.Status.PAUSED),
    )
    Schedule.objects.filter(workflow=workflow).update(
        is_active=False, next_run=None, updated_at=timezone.now()
    )
    return result


# --- executions -----------------------------------------------------------------------------------


@transaction.atomic
def execute_workflow(
    *, workflow: Workflow, input: Any = None, triggered_by: str | None = None, metadata: dict | None = None
) -> Execution:
    """Start a run of an active workflow and return its (running) execution.

    The status check and `last_executed_at` are one UPDATE, which also holds the workflow row until the
    execution is inserted, so a concurrent pause cannot slip between check and start.

    Raises ValidationError keyed by the argument: a workflow that is not a saved, active Workflow; input
    that is not JSON; metadata that is not a JSON object; triggered_by outside its column.
    """
    workflow = _workflow(workflow)
    input = v.json_value(input, name="input")
    triggered_by = v.model_field(Execution, "triggered_by", triggered_by)
    metadata = v.json_object(metadata, name="metadata")
    now = timezone.now()
    started = Workflow.objects.filter(pk=workflow.pk, status=Workflow.Status.ACTIVE).update(
        last_executed_at=now
    )
    if not started:
        current = Workflow.objects.filter(pk=workflow.pk).values_list("status", flat=True).first()
        if current is None:
            raise v.invalid("workflow", f"Workflow {workflow.pk} does not exist.")
        raise v.invalid(
            "workflow", f"Workflow '{workflow.name}' is {current}; only an active workflow can be executed."
        )
    execution = Execution(
        workflow=workflow,
        status=Execution.Status.RUNNING,
        input=input,
        triggered_by=triggered_by,
        metadata=metadata,
        started_at=now,
    )
    execution.save(force_insert=True)
    workflow.last_executed_at = now
    return execution


def _ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds() * 1000))


@transaction.atomic
def record_step(
    *,
    execution: Execution,
    step_id: str,
    step_name: str,
    step_type: str,
    status: str = ExecutionStep.Status.COMPLETED,
    input: Any = None,
    output: Any = None,
    error: str | None = None,
    started_at: datetime | None = None,
    completed_at: datetime | None = None,
    attempt_number: int = 1,
    max_attempts: int = 3,
) -> ExecutionStep:
    """Record (or update) one attempt of a step of a running execution.

    Called again for the same (step_id, attempt_number) it updates that row, so a step can go
    pending → running → completed. A running step sets the execution's current step, a completed one
    joins `completed_steps`, a failed one becomes `failed_step`. Times not given are taken now.

    Raises ValidationError keyed by the argument: an execution that is not a saved, running Execution;
    an unknown status; input or output that is not JSON; text, times or attempt numbers outside their
    columns; a completed_at before started_at.
    """
    execution = _execution(execution)
    step_id = v.model_field(ExecutionStep, "step_id", step_id)
    step_name = v.model_field(ExecutionStep, "step_name", step_name)
    step_type = v.model_field(ExecutionStep, "step_type", step_type)
    status = v.choice(status, name="status", choices=ExecutionStep.Status.values)
    input = v.json_value(input, name="input")
    output = v.json_value(output, name="output")
    error = v.model_field(ExecutionStep, "error", error)
    attempt_number = v.integer(attempt_number, name="attempt_number", min_value=1, max_value=v.SMALLINT[1])
    max_attempts = v.integer(max_attempts, name="max_attempts", min_value=1, max_value=v.SMALLINT[1])
    if attempt_number > max_attempts:
        raise ValidationError({"attempt_number": f"attempt {attempt_number} is outside 1..{max_attempts}."})
    started_at = _aware(started_at, "started_at")
    completed_at = _aware(completed_at, "completed_at")
    if started_at and completed_at and completed_at < started_at:
        raise v.invalid("completed_at", "completed_at is before started_at.")
    now = timezone.now()

    # Updating the execution first both checks that it runs and locks its row: concurrent record_step
    # calls for one execution take turns, so the read-then-write of the step below cannot race.
    progress: dict[str, Any] = {"current_step": step_id, "updated_at": now}
    if status == ExecutionStep.Status.COMPLETED:
        # Appended once, in the same statement: a step recorded as completed twice is listed once.
        steps_type = Execution._meta.get_field("completed_steps")
        progress["completed_steps"] = Case(
            When(completed_steps__contains=[step_id], then=F("completed_steps")),
            default=Func(
                F("completed_steps"), Value(step_id), function="array_append", output_field=steps_type
            ),
            output_field=steps_type,
        )
    elif status == ExecutionStep.Status.FAILED:
        progress["failed_step"] = step_id
    updated = Execution.objects.filter(pk=execution.pk, status=Execution.Status.RUNNING).update(**progress)
    if not updated:
        current = Execution.objects.filter(pk=execution.pk).values_list("status", flat=True).first()
        raise v.invalid(
            "execution",
            f"Execution {execution.pk} is {current or 'missing'}; steps are recorded while it runs.",
        )

    step = ExecutionStep.objects.filter(
        execution=execution, step_id=step_id, attempt_number=attempt_number
    ).first() or ExecutionStep(execution=execution, step_id=step_id, attempt_number=attempt_number)
    step.step_name = step_name
    step.step_type = step_type
    step.status = status
    step.max_attempts = max_attempts
    if input is not None:
        step.input = input
    if output is not None:
        step.output = output
    if error is not None:
        step.error = error
    if status != ExecutionStep.Status.PENDING:
        step.started_at = started_at or step.started_at or now
    if status in (ExecutionStep.Status.COMPLETED, ExecutionStep.Status.FAILED, ExecutionStep.Status.SKIPPED):
        step.completed_at = completed_at or now
        step.duration_ms = _ms(step.started_at, step.completed_at)
    v.full_clean(step, validate_unique=False, validate_constraints=False)
    step.save()
    return step


def log_execution(
    *,
    execution: Execution,
    level: str,
    message: str,
    data: Any = None,
    step_id: str | None = None,
) -> ExecutionLog:
    """Append a log line to an execution (also after it finished, e.g. for clean-up).

    Raises ValidationError keyed by the argument: an execution that is not saved, an unknown level, a
    message or step_id outside its column, data that is not JSON.
    """
    entry = ExecutionLog(
        execution=_execution(execution),
        level=v.model_field(ExecutionLog, "level", level),
        message=v.model_field(ExecutionLog, "message", message),
        data=v.json_value(data, name="data"),
        step_id=v.model_field(ExecutionLog, "step_id", step_id),
    )
    return v.save_new(entry, key="execution")


@transaction.atomic
def finish_execution(
    *, execution: Execution, status: str, output: Any = None, error: str | None = None
) -> Execution:
    """End a running execution as completed, failed or cancelled, and count it on its workflow.

    The workflow's execution, success and failure counters and its average duration change in one
    UPDATE of F() expressions: PostgreSQL evaluates them on the current row under its lock, so
    concurrent finishes on one workflow neither lose a count nor skew the average. The average is
    kept incrementally (old average × old count + this duration) / new count, exact for any history.

    Raises ValidationError keyed by the argument: an execution that is not a saved, running Execution;
    a status other than completed, failed, cancelled; output that is not JSON; an error outside its column.
    """
    execution = _execution(execution)
    if status not in FINISHED:
        raise ValidationError(
            {"status": f"An execution finishes as {', '.join(FINISHED)}, not {v.shown(status)}."}
        )
    output = v.json_value(output, name="output")
    error = v.model_field(Execution, "error", error)
    row = (
        Execution.objects.select_for_update()
        .filter(pk=execution.pk)
        .values("status", "started_at", "workflow_id")
    )
    found = row.first()
    if found is None:
        raise v.invalid("execution", f"Execution {execution.pk} does not exist.")
    if found["status"] != Execution.Status.RUNNING:
        raise v.invalid("execution", f"Execution {execution.pk} has already finished ({found['status']}).")
    now = timezone.now()
    duration = _ms(found["started_at"], now) or 0
    Execution.objects.filter(pk=execution.pk).update(
        status=status, output=output, error=error, completed_at=now, duration_ms=duration, updated_at=now
    )
    previous_total = Coalesce(F("avg_duration_ms"), Value(float(duration))) * F("execution_count")
    Workflow.objects.filter(pk=found["workflow_id"]).update(
        execution_count=F("execution_count") + 1,
        success_count=F("success_count") + int(status == Execution.Status.COMPLETED),
        failure_count=F("failure_count") + int(status == Execution.Status.FAILED),
        avg_duration_ms=(previous_total + Value(float(duration)))
        / Cast(F("execution_count") + 1, output_field=FloatField()),
        updated_at=now,
    )
    execution.refresh_from_db()
    return execution


# --- schedules ------------------------------------------------------------------------------------


def _zone(value: Any, name: str) -> ZoneInfo:
    zone_name = v.text(value, name=name, max_length=63)
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise v.invalid(name, f"'{zone_name}' is not a known time zone (use an IANA name).") from None


def validate_timezone(*, timezone: str) -> ZoneInfo:
    """The zone of an IANA name (Europe/Copenhagen).

    Raises ValidationError keyed by "timezone": not text, or not a known IANA zone name.
    """
    return _zone(timezone, "timezone")


def _cron(value: Any, name: str) -> str:
    expression = v.text(value, name=name, max_length=100)
    fields = expression.split()
    if len(fields) != 5:
        raise v.invalid(
            name,
            f"'{expression}' is not a valid cron expression: it has {len(fields)} fields; a cron "
            "expression has 5 (minute hour day-of-month month day-of-week).",
        )
    try:
        croniter(expression).get_next(datetime)
    except CroniterBadDateError:
        raise v.invalid(
            name, f"'{expression}' is not a valid cron expression: it never matches a date."
        ) from None
    except (CroniterError, ValueError, KeyError, OverflowError) as error:
        raise v.invalid(name, f"'{expression}' is not a valid cron expression: {error}") from None
    return expression


def validate_cron_expression(*, cron_expression: str) -> str:
    """The expression, stripped, if it is a standard five-field cron expression that ever fires.

    Raises ValidationError keyed by "cron_expression": not text, not five fields, or never firing.
    """
    return _cron(cron_expression, "cron_expression")


def next_run_after(
    *,
    after: datetime,
    cron_expression: str | None = None,
    interval_minutes: int | None = None,
    timezone_name: str = "Europe/Copenhagen",
    start_date: datetime | None = None,
    end_date: datetime | None = None,
) -> datetime | None:
    """The first run after `after`, as an aware datetime in the schedule's zone; None past the end date.

    Cron fields are read in the schedule's zone ("0 9 * * *" is 09:00 Copenhagen time, summer and
    winter). An interval schedule runs first at its start date, else `interval_minutes` from `after`.

    Raises ValidationError keyed by the argument: a naive or out-of-range datetime, an invalid cron
    expression, neither cron nor a positive interval, an unknown time zone.
    """
    zone = _zone(timezone_name, "timezone_name")
    after = v.aware_datetime(after, name="after")
    start_date = _aware(start_date, "start_date")
    end_date = _aware(end_date, "end_date")
    if cron_expression is not None:
        cron_expression = _cron(cron_expression, "cron_expression")
    else:
        interval_minutes = v.integer(interval_minutes, name="interval_minutes", min_value=1)
    base = max(after, start_date) if start_date else after
    if cron_expression:
        if start_date and start_date > after:
            base = start_date - timedelta(seconds=1)  # a start date on the schedule counts
        upcoming = croniter(cron_expression, base.astimezone(zone)).get_next(datetime)
    else:
        assert interval_minutes is not None
        upcoming = (
            start_date if start_date and start_date > after else after + timedelta(minutes=interval_minutes)
        )
    upcoming = upcoming.astimezone(zone)
    if not v.MIN_DATETIME <= upcoming < v.MAX_DATETIME:
        return None  # beyond 2200: as good as never
    if end_date and upcoming > end_date:
        return None
    return upcoming


def create_schedule(
    *,
    workflow: Workflow,
    name: str,
    cron_expression: str | None = None,
    interval_minutes: int | None = None,
    timezone: str = "Europe/Copenhagen",
    **fields: Any,
) -> Schedule:
    """Schedule a workflow by a cron expression (five fields) or every `interval_minutes`, not both.

    `fields`: description, is_active, start_date, end_date, max_runs. `next_run` is computed in the
    schedule's time zone and stored as an aware datetime.

    Raises ValidationError keyed by the argument: an unknown field name; neither or both of cron and
    interval; an invalid cron expression or interval; an unknown time zone; a naive or out-of-range
    date; an end before the start; a workflow that is not saved or is archived.
    """
    fields = v.model_fields(Schedule, fields, allowed=SCHEDULE_FIELDS)
    workflow = _workflow(workflow)
    name = v.model_field(Schedule, "name", name)
    if isinstance(cron_expression, str) and not cron_expression.strip():
        cron_expression = None
    if cron_expression is None and interval_minutes is None:
        raise v.invalid("cron_expression", "A schedule needs a cron expression or an interval in minutes.")
    if cron_expression is not None and interval_minutes is not None:
        raise v.invalid("interval_minutes", "A schedule takes a cron expression or an interval, not both.")
    if cron_expression is not None:
        cron_expression = _cron(cron_expression, "cron_expression")
    else:
        interval_minutes = v.integer(interval_minutes, name="interval_minutes", min_value=1)
    _zone(timezone, "timezone")
    start_date = fields.get("start_date")
    end_date = fields.get("end_date")
    if start_date and end_date and end_date <= start_date:
        raise ValidationError({"end_date": "The end date must come after the start date."})
    if workflow.status == Workflow.Status.ARCHIVED:
        raise ValidationError(
            {"workflow": f"Workflow '{workflow.name}' is archived; it cannot be scheduled."}
        )
    schedule = Schedule(
        workflow=workflow,
        name=name,
        cron_expression=cron_expression,
        interval_minutes=interval_minutes if cron_expression is None else None,
        timezone=timezone,
        **fields,
    )
    if schedule.is_active:
        schedule.next_run = next_run_after(
            after=_now(),
            cron_expression=cron_expression,
            interval_minutes=schedule.interval_minutes,
            timezone_name=timezone,
            start_date=start_date,
            end_date=end_date,
        )
    return v.save_new(schedule, key="name")


def _now() -> datetime:
    # create_schedule's `timezone` argument (the name) hides the django.utils.timezone module.
    return timezone.now()


# --- variables ------------------------------------------------------------------------------------


_VALUE_MAX = v.JSON_MAX_BYTES


def _encode_value(value: Any, type: str) -> str:
    """The text form of `value` for a variable of `type`, refusing what does not parse."""
    if type == Variable.Type.STRING:
        if value is None:
            return ""
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            value = str(value)
        return v.text(value, name="value", max_length=_VALUE_MAX, blank=True, strip=False)
    if type == Variable.Type.NUMBER:
        if isinstance(value, str):
            value = value.strip()
        number = v.decimal(value, name="value", max_digits=None, decimal_places=None, allow_float=True)
        return str(number)
    if type == Variable.Type.BOOLEAN:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = v.text(value, name="value", max_length=10).lower()
        if text not in ("true", "false"):
            raise ValidationError({"value": f"{text!r} is not a boolean (true or false)."})
        return text
    if type == Variable.Type.JSON:
        if isinstance(value, str):
            v.text(value, name="value", max_length=_VALUE_MAX, blank=True, strip=False)
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError) as error:
                raise ValidationError({"value": f"The value is not valid JSON: {error}."}) from None
            v.json_text(parsed, name="value")  # finite numbers, no \u0000, size
            return value
        v.json_text(value, name="value")
        return json.dumps(value)
    raise ValidationError(
        {"type": f"{v.shown(type)} is not a variable type ({', '.join(Variable.Type.values)})."}
    )


def stored_variable_value(*, value: Any, type: str, is_secret: bool) -> str:
    """What the `value` column holds: the text form, encrypted with shared.crypto when secret.

    A refused secret value is not repeated in the error: messages reach pages and logs.

    Raises ValidationError keyed by "value" (does not parse as `type`: text with NUL, a non-finite
    number, invalid JSON), "type" (unknown) or "is_secret" (not a bool).
    """
    type = v.choice(type, name="type", choices=Variable.Type.values)
    is_secret = v.boolean(is_secret, name="is_secret")
    if not is_secret:
        return _encode_value(value, type)
    if type not in Variable.Type.values:
        _encode_value(value, type)  # the error names the type only
    try:
        text = _encode_value(value, type)
    except ValidationError:
        raise ValidationError({"value": f"The secret value is not a valid {type}."}) from None
    if type == Variable.Type.JSON:
        # Compact form: pretty-printed JSON's line breaks would read as control characters in a secret.
        text = json.dumps(json.loads(text), separators=(",", ":"))
    return crypto.encrypt(crypto.validate_secret(text, name="value"))


def set_variable(
    *,
    key: str,
    value: Any,
    workflow: Workflow | None = None,
    type: str = Variable.Type.STRING,
    is_secret: bool = False,
    description: str | None = None,
) -> Variable:
    """Create or replace the variable `key` of `workflow` (None: a global one), in one upsert.

    Raises ValidationError keyed by the argument: a key or description outside its column, a workflow
    that is not saved, a value that does not parse as `type` (see stored_variable_value).
    """
    key = v.model_field(Variable, "key", key)
    workflow = v.optional_instance(workflow, name="workflow", model=Workflow)
    variable = Variable(
        workflow=workflow,
        key=key,
        value=stored_variable_value(value=value, type=type, is_secret=is_secret),
        type=type,
        is_secret=is_secret,
        description=v.model_field(Variable, "description", description),
    )
    v.full_clean(variable, validate_unique=False, validate_constraints=False)
    # INSERT … ON CONFLICT (workflow_id, key) DO UPDATE: the constraint is NULLS NOT DISTINCT, so a
    # global (workflow NULL) conflicts with the global of the same key too.
    Variable.objects.bulk_create(
        [variable],
        update_conflicts=True,
        unique_fields=["workflow", "key"],
        update_fields=["value", "type", "is_secret", "description", "updated_at"],
    )
    # The RETURNING id of an updated row is not copied back onto the object: read the row by its key.
    return Variable.objects.get(workflow=workflow, key=key)


def variable_value(*, variable: Variable) -> Any:
    """The variable's value as Python: str, Decimal, bool or the parsed JSON; decrypted if secret.

    Raises ValidationError keyed by "variable" (not a saved Variable); shared.crypto.DecryptionError
    when no configured key opens a secret.
    """
    variable = v.instance(variable, name="variable", model=Variable)
    text = crypto.decrypt(variable.value) if variable.is_secret else variable.value
    if variable.type == Variable.Type.NUMBER:
        return Decimal(text)
    if variable.type == Variable.Type.BOOLEAN:
        return text == "true"
    if variable.type == Variable.Type.JSON:
        return json.loads(text)
    return text


# --- webhooks -------------------------------------------------------------------------------------


def clean_allowed_ips(*, allowed_ips: list[str] | None) -> list[str]:
    """The addresses and networks, normalised (`10.0.0.0/8`); None is an empty list.

    Raises ValidationError keyed by "allowed_ips": not a list of texts, or an item that is not an IP
    address or network.
    """
    cleaned = []
    for item in v.string_list(allowed_ips or [], name="allowed_ips", max_length=64):
        try:
            cleaned.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValidationError({"allowed_ips": f"'{item}' is not an IP address or network."}) from None
    return cleaned


def create_webhook(
    *,
    workflow: Workflow,
    name: str,
    url: str,
    method: str = Webhook.Method.POST,
    secret: str | None = None,
    allowed_ips: list[str] | None = None,
    is_active: bool = True,
) -> Webhook:
    """Create a webhook that triggers `workflow`. Its secret is stored encrypted and never shown.

    Raises ValidationError keyed by the argument: a workflow that is not saved, a url that is not
    http(s) or is taken, an unknown method, a name or secret outside its column, bad allowed_ips.
    """
    # The inbound path on the Flow service (`/hooks/booking`, as the seed data has) or a full http(s) URL.
    url = v.url(url, name="url", max_length=500, allow_path=True)
    secret = _secret(secret)
    webhook = Webhook(
        workflow=_workflow(workflow),
        name=v.model_field(Webhook, "name", name),
        url=url,
        method=v.choice(
            method.upper() if isinstance(method, str) else method,
            name="method",
            choices=Webhook.Method.values,
        ),
        secret=crypto.encrypt(secret) if secret else None,
        allowed_ips=clean_allowed_ips(allowed_ips=allowed_ips),
        is_active=v.boolean(is_active, name="is_active"),
    )
    return v.save_new(webhook, key="url", unique_message=f"A webhook with url '{url}' already exists.")


def _secret(secret: Any) -> str | None:
    # The general text rules first, so no NUL or lone surrogate reaches the cipher; never repeats the value.
    if secret is None:
        return None
    try:
        secret = v.optional_text(secret, name="secret", max_length=4096, strip=False)
    except ValidationError:
        raise v.invalid("secret", "secret must be text of at most 4096 characters, without NUL.") from None
    # Then the secret's own rules (shared.crypto): no surrounding whitespace or control characters.
    return crypto.validate_secret(secret, name="secret") if secret else None


def set_webhook_secret(*, webhook: Webhook, secret: str | None) -> Webhook:
    """Replace (or, with None, remove) a webhook's secret.

    Raises ValidationError keyed by the argument: a webhook that is not saved, a secret that is not text.
    """
    webhook = v.instance(webhook, name="webhook", model=Webhook)
    secret = _secret(secret)
    webhook.secret = crypto.encrypt(secret) if secret else None
    Webhook.objects.filter(pk=webhook.pk).update(secret=webhook.secret, updated_at=timezone.now())
    return webhook


def webhook_secret(*, webhook: Webhook) -> str | None:
    """The plaintext secret, for verifying a request's signature; never for display.

    Raises ValidationError keyed by "webhook" (not a saved Webhook); shared.crypto.DecryptionError when no
    configured key opens the secret.
    """
    webhook = v.instance(webhook, name="webhook", model=Webhook)
    return crypto.decrypt(webhook.secret) if webhook.secret else None


def prune_execution_logs(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Delete execution log lines (flow.execution_logs) written more than `older_than` ago: whole
    months as dropped partitions (constant time), the cutoff's month row by row. The executions and
    their steps stay. Returns the lines (that would be) deleted (a big dropped month by the planner's
    estimate); a prune that removed something leaves one entry in the shared audit.

    Raises ValidationError keyed by the argument: older_than not from 1 µs to ten years, dry_run not a bool.
    """
    older_than = v.duration(older_than, name="older_than")
    dry_run = v.boolean(dry_run, name="dry_run")
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        pruned = partitions.prune(
            table=table_key(ExecutionLog),
            column="timestamp",
            before=cutoff,
            queryset=ExecutionLog.objects.filter(timestamp__lt=cutoff),
            dry_run=dry_run,
        )
        if not dry_run:
            record_prune(table=table_key(ExecutionLog), older_than=older_than, cutoff=cutoff, pruned=pruned)
    return pruned.rows
