"""Workflows (templates first, then every status in every region) and the counters their runs add up to."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flow import factories, models
from shared.seeding import SeedContext, built, stable_id, weighted_choice

from .data import BLUEPRINTS, FIRST_STATUSES, REGIONS, TEMPLATES, WORKFLOW_STATUSES, node


def workflows(ctx: SeedContext, staff: list[str]) -> list[dict]:
    """The workflows, made by `WorkflowFactory` (which joins the nodes by edges); their counters are
    added by `count_runs` once the runs are laid out. `_steps` and `_timing` (private keys) keep the
    blueprint's nodes after the trigger and its cron or interval, for the runs and schedules."""
    rng = ctx.rng
    rows, templates = [], {}
    plain = 0
    for index in range(ctx.pick(8, 60, 300)):
        number = index % len(BLUEPRINTS)
        name, trigger, steps, timing = BLUEPRINTS[number]
        is_template = index < len(BLUEPRINTS) and number in TEMPLATES
        if is_template:
            status, title = models.Workflow.Status.ACTIVE, f"Skabelon: {name}"
        else:
            # Every status first (so that each is present at every size, with an active schedule).
            status = (
                FIRST_STATUSES[plain]
                if plain < len(FIRST_STATUSES)
                else weighted_choice(ctx, WORKFLOW_STATUSES)
            )
            plain += 1
            title = f"{name} – {REGIONS[(index // len(BLUEPRINTS)) % len(REGIONS)]}"
            if index >= len(BLUEPRINTS) * len(REGIONS):
                title += f" {index // (len(BLUEPRINTS) * len(REGIONS)) + 1}"
        workflow_id = stable_id("flow.workflows", ctx.random_seed, index)
        template = templates.get(number) if not is_template and rng.random() < 0.5 else None
        timeout = rng.choice([300, 900, 3600])
        retry_attempts = rng.choice([1, 3, 3, 5])
        owner = rng.choice(staff)
        created = ctx.now - dt.timedelta(seconds=int((120 + rng.random() * 280) * 86400))
        row = built(
            factories.WorkflowFactory,
            id=workflow_id,
            name=title,
            description=f"Automatiserer {name.lower()} for Rendetalje.",
            is_template=is_template,
            template_id=template,
            status=status,
            trigger=trigger,
            nodes=[node("start", "trigger", "Start"), *steps],
            timeout=timeout,
            retry_attempts=retry_attempts,
            owner=owner,
            created_at=created,
            updated_at=created,
        )
        row["_steps"], row["_timing"] = steps, timing
        if is_template:
            templates[number] = workflow_id
        rows.append(row)
    return rows


def count_runs(workflow_rows: list[dict], runs: list[dict]) -> None:
    """Each workflow's counters as finish_execution keeps them (running executions are not counted),
    and its last execution as execute_workflow sets it; a workflow without runs has zero counts."""
    finished = defaultdict(list)
    last_started: dict = {}
    for run in runs:
        workflow_id = run["workflow"]
        last_started[workflow_id] = max(last_started.get(workflow_id, run["started_at"]), run["started_at"])
        if run["status"] != models.Execution.Status.RUNNING:
            finished[workflow_id].append(run)
    for workflow in workflow_rows:
        done = finished[workflow["id"]]
        workflow["execution_count"] = len(done)
        workflow["success_count"] = sum(run["status"] == models.Execution.Status.COMPLETED for run in done)
        workflow["failure_count"] = sum(run["status"] == models.Execution.Status.FAILED for run in done)
        durations = [run["duration_ms"] for run in done]
        workflow["avg_duration_ms"] = sum(durations) / len(durations) if durations else None
        workflow["last_executed_at"] = last_started.get(workflow["id"])
