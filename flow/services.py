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
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, FloatField, Func, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from shared import crypto
from shared.validation import save_new

from .models import Execution, ExecutionLog, ExecutionStep, Schedule, Variable, Webhook, Workflow

FINISHED = (Execution.Status.COMPLETED, Execution.Status.FAILED, Execution.Status.CANCELLED)
SCHEDULE_FIELDS = {"description", "is_active", "start_date", "end_date", "max_runs"}


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        raise ValidationError({name: f"{name} must be an aware datetime (with a time zone)."})
    return value


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
    """Create a draft workflow. From a template, the trigger, nodes and edges not given are copied."""
    if template is not None and not template.is_template:
        raise ValidationError({"template": f"Workflow '{template.name}' is not a template."})
    workflow = Workflow(
        name=(name or "").strip(),
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
    return save_new(workflow)


def _transition(workflow: Workflow, *, to: str, allowed_from: tuple[str, ...]) -> Workflow:
    """One conditional UPDATE: the status changes only from an allowed one, whoever else is acting."""
    changed = Workflow.objects.filter(pk=workflow.pk, status__in=allowed_from).update(
        status=to, updated_at=timezone.now()
    )
    if not changed:
        current = Workflow.objects.filter(pk=workflow.pk).values_list("status", flat=True).first()
        if current is None:
            raise ValidationError(f"Workflow {workflow.pk} does not exist.")
        allowed = " or ".join(allowed_from)
        raise ValidationError(
            f"Workflow '{workflow.name}' is {current}; only a {allowed} workflow can become {to}."
        )
    workflow.refresh_from_db()
    return workflow


@transaction.atomic
def activate_workflow(*, workflow: Workflow) -> Workflow:
    """draft or paused → active. A workflow with no nodes has nothing to run and is refused."""
    if not Workflow.objects.filter(pk=workflow.pk).exclude(nodes=[]).exclude(nodes={}).exists():
        raise ValidationError({"nodes": f"Workflow '{workflow.name}' has no nodes; add at least one first."})
    return _transition(
        workflow, to=Workflow.Status.ACTIVE, allowed_from=(Workflow.Status.DRAFT, Workflow.Status.PAUSED)
    )


@transaction.atomic
def pause_workflow(*, workflow: Workflow) -> Workflow:
    """active → paused: new executions are refused, running ones finish."""
    return _transition(workflow, to=Workflow.Status.PAUSED, allowed_from=(Workflow.Status.ACTIVE,))


@transaction.atomic
def archive_workflow(*, workflow: Workflow) -> Workflow:
    """draft, active or paused → archived (final), and its schedules stop."""
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
    """
    now = timezone.now()
    started = Workflow.objects.filter(pk=workflow.pk, status=Workflow.Status.ACTIVE).update(
        last_executed_at=now
    )
    if not started:
        current = Workflow.objects.filter(pk=workflow.pk).values_list("status", flat=True).first()
        if current is None:
            raise ValidationError(f"Workflow {workflow.pk} does not exist.")
        raise ValidationError(
            f"Workflow '{workflow.name}' is {current}; only an active workflow can be executed."
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
    """
    if status not in ExecutionStep.Status.values:
        raise ValidationError(
            {"status": f"'{status}' is not a step status ({', '.join(ExecutionStep.Status.values)})."}
        )
    if attempt_number < 1 or attempt_number > max_attempts:
        raise ValidationError({"attempt_number": f"attempt {attempt_number} is outside 1..{max_attempts}."})
    _aware(started_at, "started_at")
    _aware(completed_at, "completed_at")
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
        raise ValidationError(
            f"Execution {execution.pk} is {current or 'missing'}; steps are recorded while it runs."
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
    step.full_clean(validate_unique=False, validate_constraints=False)
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
    """Append a log line to an execution (also after it finished, e.g. for clean-up)."""
    entry = ExecutionLog(execution=execution, level=level, message=message, data=data, step_id=step_id)
    return save_new(entry)


@transaction.atomic
def finish_execution(
    *, execution: Execution, status: str, output: Any = None, error: str | None = None
) -> Execution:
    """End a running execution as completed, failed or cancelled, and count it on its workflow.

    The workflow's execution, success and failure counters and its average duration change in one
    UPDATE of F() expressions: PostgreSQL evaluates them on the current row under its lock, so
    concurrent finishes on one workflow neither lose a count nor skew the average. The average is
    kept incrementally (old average × old count + this duration) / new count, exact for any history.
    """
    if status not in FINISHED:
        raise ValidationError({"status": f"An execution finishes as {', '.join(FINISHED)}, not '{status}'."})
    row = (
        Execution.objects.select_for_update()
        .filter(pk=execution.pk)
        .values("status", "started_at", "workflow_id")
    )
    row = row.first()
    if row is None:
        raise ValidationError(f"Execution {execution.pk} does not exist.")
    if row["status"] != Execution.Status.RUNNING:
        raise ValidationError(f"Execution {execution.pk} has already finished ({row['status']}).")
    now = timezone.now()
    duration = _ms(row["started_at"], now)
    Execution.objects.filter(pk=execution.pk).update(
        status=status, output=output, error=error, completed_at=now, duration_ms=duration, updated_at=now
    )
    previous_total = Coalesce(F("avg_duration_ms"), Value(float(duration))) * F("execution_count")
    Workflow.objects.filter(pk=row["workflow_id"]).update(
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


def validate_timezone(name: str) -> ZoneInfo:
    """The zone of an IANA name (Europe/Copenhagen), or a ValidationError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(
            {"timezone": f"'{name}' is not a known time zone (use an IANA name)."}
        ) from None


def validate_cron_expression(expression: str) -> str:
    """The expression, stripped, if it is a standard five-field cron expression that ever fires."""
    expression = (expression or "").strip()
    fields = expression.split()
    if len(fields) != 5:
        raise ValidationError(
            {
                "cron_expression": f"'{expression}' is not a valid cron expression: it has "
                f"{len(fields)} fields; a cron expression has 5 (minute hour day-of-month month day-of-week)."
            }
        )
    try:
        croniter(expression).get_next(datetime)
    except CroniterBadDateError:
        raise ValidationError(
            {"cron_expression": f"'{expression}' is not a valid cron expression: it never matches a date."}
        ) from None
    except (CroniterError, ValueError, KeyError) as error:
        raise ValidationError(
            {"cron_expression": f"'{expression}' is not a valid cron expression: {error}"}
        ) from None
    return expression


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
    """
    zone = validate_timezone(timezone_name)
    base = max(after, start_date) if start_date else after
    if cron_expression:
        if start_date and start_date > after:
            base = start_date - timedelta(seconds=1)  # a start date on the schedule counts
        upcoming = croniter(cron_expression, base.astimezone(zone)).get_next(datetime)
    else:
        upcoming = (
            start_date if start_date and start_date > after else after + timedelta(minutes=interval_minutes)
        )
    upcoming = upcoming.astimezone(zone)
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
    """
    unknown = set(fields) - SCHEDULE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown schedule fields: {', '.join(sorted(unknown))}.")
    if (cron_expression is None or not str(cron_expression).strip()) and interval_minutes is None:
        raise ValidationError("A schedule needs a cron expression or an interval in minutes.")
    if cron_expression and interval_minutes is not None:
        raise ValidationError("A schedule takes a cron expression or an interval, not both.")
    if cron_expression:
        cron_expression = validate_cron_expression(cron_expression)
    else:
        cron_expression = None
        if (
            not isinstance(interval_minutes, int)
            or isinstance(interval_minutes, bool)
            or interval_minutes <= 0
        ):
            raise ValidationError(
                {
                    "interval_minutes": f"The interval must be a whole number of minutes > 0, "
                    f"not {interval_minutes!r}."
                }
            )
    validate_timezone(timezone)
    start_date = _aware(fields.get("start_date"), "start_date")
    end_date = _aware(fields.get("end_date"), "end_date")
    if start_date and end_date and end_date <= start_date:
        raise ValidationError({"end_date": "The end date must come after the start date."})
    if workflow.status == Workflow.Status.ARCHIVED:
        raise ValidationError(
            {"workflow": f"Workflow '{workflow.name}' is archived; it cannot be scheduled."}
        )
    schedule = Schedule(
        workflow=workflow,
        name=(name or "").strip(),
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
    return save_new(schedule)


def _now() -> datetime:
    # create_schedule's `timezone` argument (the name) hides the django.utils.timezone module.
    return timezone.now()


# --- variables ------------------------------------------------------------------------------------


def _encode_value(value: Any, type: str) -> str:
    """The text form of `value` for a variable of `type`, refusing what does not parse."""
    if type == Variable.Type.STRING:
        return "" if value is None else str(value)
    if type == Variable.Type.NUMBER:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError({"value": f"{value!r} is not a number."}) from None
        if not number.is_finite():
            raise ValidationError({"value": f"{value!r} is not a finite number."})
        return str(number)
    if type == Variable.Type.BOOLEAN:
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise ValidationError({"value": f"{value!r} is not a boolean (true or false)."})
        return text
    if type == Variable.Type.JSON:
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError as error:
                raise ValidationError({"value": f"The value is not valid JSON: {error}."}) from None
            return value
        return json.dumps(value)
    raise ValidationError({"type": f"'{type}' is not a variable type ({', '.join(Variable.Type.values)})."})


def stored_variable_value(*, value: Any, type: str, is_secret: bool) -> str:
    """What the `value` column holds: the text form, encrypted with shared.crypto when secret.

    A refused secret value is not repeated in the error: messages reach pages and logs."""
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
    """Create or replace the variable `key` of `workflow` (None: a global one), in one upsert."""
    key = (key or "").strip()
    if not key:
        raise ValidationError({"key": "A variable needs a key."})
    variable = Variable(
        workflow=workflow,
        key=key,
        value=stored_variable_value(value=value, type=type, is_secret=is_secret),
        type=type,
        is_secret=is_secret,
        description=description,
    )
    variable.full_clean(validate_unique=False, validate_constraints=False)
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


def variable_value(variable: Variable) -> Any:
    """The variable's value as Python: str, Decimal, bool or the parsed JSON; decrypted if secret."""
    text = crypto.decrypt(variable.value) if variable.is_secret else variable.value
    if variable.type == Variable.Type.NUMBER:
        return Decimal(text)
    if variable.type == Variable.Type.BOOLEAN:
        return text == "true"
    if variable.type == Variable.Type.JSON:
        return json.loads(text)
    return text


# --- webhooks -------------------------------------------------------------------------------------


def clean_allowed_ips(allowed_ips: list[str] | None) -> list[str]:
    cleaned = []
    for item in allowed_ips or []:
        try:
            cleaned.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
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
    """Create a webhook that triggers `workflow`. Its secret is stored encrypted and never shown."""
    webhook = Webhook(
        workflow=workflow,
        name=(name or "").strip(),
        url=(url or "").strip(),
        method=(method or "").upper(),
        secret=crypto.encrypt(crypto.validate_secret(secret, name="secret")) if secret else None,
        allowed_ips=clean_allowed_ips(allowed_ips),
        is_active=is_active,
    )
    return save_new(webhook, unique_message=f"A webhook with url '{webhook.url}' already exists.")


def set_webhook_secret(*, webhook: Webhook, secret: str | None) -> Webhook:
    """Replace (or, with None, remove) a webhook's secret."""
    webhook.secret = crypto.encrypt(crypto.validate_secret(secret, name="secret")) if secret else None
    Webhook.objects.filter(pk=webhook.pk).update(secret=webhook.secret, updated_at=timezone.now())
    return webhook


def webhook_secret(webhook: Webhook) -> str | None:
    """The plaintext secret, for verifying a request's signature; never for display."""
    return crypto.decrypt(webhook.secret) if webhook.secret else None
