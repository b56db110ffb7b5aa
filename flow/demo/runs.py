"""Executions of the workflows with their steps (one row per attempt) and log lines, in time order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flow import factories, models
from flow.timekeeping import elapsed_ms
from shared.seeding import SeedContext, built, stable_id, stamped, weighted_choice

from .data import ERRORS, FINISHED_RUN_STATUSES

RunStatus = models.Execution.Status
StepStatus = models.ExecutionStep.Status
Level = models.ExecutionLog.Level
# Runs that did not do every node: a failed run fails at some node, a cancelled one stops early, a
# running one is inside some node.
UNFINISHED = (RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.RUNNING)


def executions(ctx: SeedContext, workflow_rows: list[dict]):
    """The runs of the runnable workflows (active ones most), and all their steps and log lines.

    A run is made by `ExecutionFactory` (which derives its duration) once its steps are laid out.
    """
    rng = ctx.rng
    runnable = [
        row
        for row in workflow_rows
        if row["status"] != models.Workflow.Status.DRAFT and not row["is_template"]
    ]
    weights = [6 if row["status"] == models.Workflow.Status.ACTIVE else 1 for row in runnable]
    runs: list[dict] = []
    steps: list[dict] = []
    logs: list[dict] = []
    for index in range(ctx.pick(40, 2_000, 25_000)):
        workflow = rng.choices(runnable, weights=weights)[0]
        run = _run(ctx, index, workflow)
        _steps(ctx, _Trail(run=run, workflow=workflow, steps=steps, logs=logs))
        runs.append(built(factories.ExecutionFactory, **run))
    return runs, steps, logs


def _run(ctx: SeedContext, index: int, workflow: dict) -> dict:
    """A run as execute_workflow starts it (the factory's arguments, which its steps then advance):
    running ones began minutes ago, the others in the last 90 days."""
    rng = ctx.rng
    if workflow["status"] == models.Workflow.Status.ACTIVE and rng.random() < 0.04:
        status = RunStatus.RUNNING
        started = ctx.now - dt.timedelta(seconds=rng.randrange(5, 600))
    else:
        status = weighted_choice(ctx, FINISHED_RUN_STATUSES)
        started = max(ctx.moment(days_back=90), workflow["created_at"] + dt.timedelta(days=1))
    trigger = workflow["trigger"]["type"]
    triggered_by = {"webhook": "webhook", "schedule": "schedule", "event": "event"}[trigger]
    if rng.random() < 0.05:
        triggered_by = f"manual:{workflow['owner']}"
    return {
        "id": stable_id("flow.executions", ctx.random_seed, index),
        "workflow_id": workflow["id"],
        "status": status,
        "input": {"booking_id": rng.randrange(10_000, 99_999)} if trigger != "schedule" else {},
        "output": None,
        "error": None,
        "current_step": None,
        "completed_steps": [],
        "failed_step": None,
        "started_at": started,
        "completed_at": None,
        "triggered_by": triggered_by,
        "metadata": {"retry_attempts": workflow["retry_attempts"]},
        "created_at": started,
        "updated_at": started,
    }


# Steps and log lines stay plain rows for `load`, by the factories' rules (`elapsed_ms`): a run has
# about three steps and four log lines, 180,000 rows at `large`, and a factory build of each (about
# 0.15 ms a row) would add half a minute.
@dataclass
class _Trail:
    """One run on its way: its step rows and log lines go to the seed's lists (a log line's id counts
    every line before it, of every run)."""

    run: dict
    workflow: dict
    steps: list[dict]
    logs: list[dict]

    def log(self, level: str, message: str, step_id: str | None, moment: dt.datetime, data=None) -> None:
        self.logs.append(
            stamped(
                {
                    "id": stable_id("flow.execution_logs", self.run["id"], len(self.logs)),
                    "execution": self.run["id"],
                    "level": level,
                    "message": message,
                    "data": data,
                    "step_id": step_id,
                    "timestamp": moment,
                },
                moment,
            )
        )

    def step(self, step: dict, attempt: int, status: str, started, completed, error=None) -> None:
        self.steps.append(
            _step(self.run, step, attempt, status, started, completed, self.workflow, error=error)
        )


def _steps(ctx: SeedContext, trail: _Trail) -> None:
    """The steps and log lines of one run, in time order, and the run's progress fields."""
    run, nodes = trail.run, trail.workflow["_steps"]
    status = run["status"]
    at = run["started_at"]
    # How far the run got: a completed run did every node.
    stop = ctx.rng.randrange(len(nodes)) if status in UNFINISHED else len(nodes)
    trail.log(
        Level.INFO, f"Startede {trail.workflow['name']}", None, at, {"triggered_by": run["triggered_by"]}
    )
    for position, node in enumerate(nodes):
        step = {
            "execution": run["id"],
            "step_id": node["id"],
            "step_name": node["name"],
            "step_type": node["type"],
        }
        if position > stop or (position == stop and status == RunStatus.CANCELLED):
            if status == RunStatus.CANCELLED:
                trail.step(step, 1, StepStatus.SKIPPED, at, at)
            elif status == RunStatus.RUNNING:
                trail.step(step, 1, StepStatus.PENDING, None, None)
        elif position == stop and status == RunStatus.RUNNING:
            trail.step(step, 1, StepStatus.RUNNING, at, None)
            run["current_step"] = node["id"]
            trail.log(Level.INFO, f"{node['name']} kører", node["id"], at)
        else:
            at = _attempts(
                ctx, trail, step, node, at, failing=position == stop and status == RunStatus.FAILED
            )
    if status != RunStatus.RUNNING:
        _finish(trail, at)


def _attempts(ctx: SeedContext, trail: _Trail, step: dict, node: dict, at: dt.datetime, *, failing: bool):
    """The attempts at one node, as record_step records them; returns the moment the last one ended.

    A step that failed before it succeeded (or before the run gave up) has one row per attempt.
    """
    rng, run, retries = ctx.rng, trail.run, trail.workflow["retry_attempts"]
    attempts = min(retries if failing else (2 if rng.random() < 0.06 else 1), retries)
    for attempt in range(1, attempts + 1):
        took = dt.timedelta(milliseconds=rng.randrange(80, 20_000))
        last = attempt == attempts
        outcome = StepStatus.COMPLETED if last and not failing else StepStatus.FAILED
        error = ERRORS.get(node["type"], "Uventet fejl") if outcome == StepStatus.FAILED else None
        trail.step(step, attempt, outcome, at, at + took, error=error)
        at += took
        run["current_step"] = node["id"]
        if outcome == StepStatus.FAILED:
            run["failed_step"] = node["id"]
            level = Level.ERROR if last else Level.WARNING
            trail.log(level, f"{node['name']} fejlede (forsøg {attempt}): {error}", node["id"], at)
        else:
            if node["id"] not in run["completed_steps"]:
                run["completed_steps"].append(node["id"])
            trail.log(Level.INFO, f"{node['name']} fuldført på {took.total_seconds():.1f} s", node["id"], at)
        if rng.random() < 0.2:
            trail.log(Level.DEBUG, "Svar modtaget", node["id"], at, {"bytes": rng.randrange(200, 20_000)})
    return at


def _finish(trail: _Trail, at: dt.datetime) -> None:
    """The end of a finished run, as finish_execution leaves it: output or error, and its completion
    (from which the factory derives the duration)."""
    run, workflow = trail.run, trail.workflow
    if run["status"] == RunStatus.COMPLETED:
        run["output"] = {"ok": True, "steps": len(workflow["_steps"])}
    elif run["status"] == RunStatus.FAILED:
        run["error"] = f"Trin {run['failed_step']} fejlede efter {workflow['retry_attempts']} forsøg"
    else:
        run["error"] = "Annulleret af bruger"
        trail.log(Level.WARNING, "Kørslen blev annulleret", None, at)
    run["completed_at"] = at


def _step(run, step, attempt, status, started, completed, workflow, error=None) -> dict:
    return stamped(
        {
            "id": stable_id("flow.execution_steps", run["id"], step["step_id"], attempt),
            **step,
            "status": status,
            "input": {"attempt": attempt},
            "output": {"ok": True} if status == StepStatus.COMPLETED else None,
            "error": error,
            "started_at": started,
            "completed_at": completed,
            "duration_ms": elapsed_ms(started, completed),
            "attempt_number": attempt,
            "max_attempts": workflow["retry_attempts"],
        },
        started or run["started_at"],
    )
