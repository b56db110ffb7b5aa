"""Executions, the runs of a workflow: start one, record its steps and log lines, finish it, prune old logs.

`execute_workflow` starts a run; `record_step` and `log_execution` record what happens; `finish_execution`
ends it and adds it to the workflow's counters and average duration in one UPDATE (the database
serialises concurrent finishes on the row, so counters stay exact).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, FloatField, Func, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from shared import validation as v
from shared.audit import record_prune, table_key
from tekupdb.db import partitions

from ..models import Execution, ExecutionLog, ExecutionStep, Workflow
from ..timekeeping import elapsed_ms
from .validation import _aware, _workflow

FINISHED = (Execution.Status.COMPLETED, Execution.Status.FAILED, Execution.Status.CANCELLED)
_STEP_ENDED = (ExecutionStep.Status.COMPLETED, ExecutionStep.Status.FAILED, ExecutionStep.Status.SKIPPED)


def _execution(value: Any) -> Execution:
    return v.instance(value, name="execution", model=Execution)


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
    attempt_number, max_attempts = _attempts(attempt_number, max_attempts)
    started_at, completed_at = _times(started_at, completed_at)
    now = timezone.now()
    _advance_execution(execution, step_id=step_id, status=status, now=now)
    step = ExecutionStep.objects.filter(
        execution=execution, step_id=step_id, attempt_number=attempt_number
    ).first() or ExecutionStep(execution=execution, step_id=step_id, attempt_number=attempt_number)
    step.step_name = step_name
    step.step_type = step_type
    step.status = status
    step.max_attempts = max_attempts
    _set_given(step, input=input, output=output, error=error)
    _stamp_times(step, started_at=started_at, completed_at=completed_at, now=now)
    v.full_clean(step, validate_unique=False, validate_constraints=False)
    step.save()
    return step


def _attempts(attempt_number: Any, max_attempts: Any) -> tuple[int, int]:
    """The attempt's number and the most attempts of the step: smallints, the first within the second."""
    attempt_number = v.integer(attempt_number, name="attempt_number", min_value=1, max_value=v.SMALLINT[1])
    max_attempts = v.integer(max_attempts, name="max_attempts", min_value=1, max_value=v.SMALLINT[1])
    if attempt_number > max_attempts:
        raise ValidationError({"attempt_number": f"attempt {attempt_number} is outside 1..{max_attempts}."})
    return attempt_number, max_attempts


def _times(started_at: Any, completed_at: Any) -> tuple[datetime | None, datetime | None]:
    """The step's start and end as given (aware, or None), the end not before the start."""
    started_at = _aware(started_at, "started_at")
    completed_at = _aware(completed_at, "completed_at")
    if started_at and completed_at and completed_at < started_at:
        raise v.invalid("completed_at", "completed_at is before started_at.")
    return started_at, completed_at


def _advance_execution(execution: Execution, *, step_id: str, status: str, now: datetime) -> None:
    """Move the running execution's progress to this step, or refuse an execution that is not running."""
    # Updating the execution first both checks that it runs and locks its row: concurrent record_step
    # calls for one execution take turns, so record_step's read-then-write of the step cannot race.
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


def _set_given(step: ExecutionStep, *, input: Any, output: Any, error: str | None) -> None:
    """Input, output and error where given; None keeps what an earlier record of this attempt holds."""
    if input is not None:
        step.input = input
    if output is not None:
        step.output = output
    if error is not None:
        step.error = error


def _stamp_times(
    step: ExecutionStep, *, started_at: datetime | None, completed_at: datetime | None, now: datetime
) -> None:
    """A step that left pending has a start, a finished one an end and a duration; not given: now."""
    if step.status != ExecutionStep.Status.PENDING:
        step.started_at = started_at or step.started_at or now
    if step.status in _STEP_ENDED:
        step.completed_at = completed_at or now
        step.duration_ms = elapsed_ms(step.started_at, step.completed_at)


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
    duration = elapsed_ms(found["started_at"], now) or 0
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
