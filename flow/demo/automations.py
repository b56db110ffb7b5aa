"""Workflows (templates first, then every status in every region) and the counters their runs add up to."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flow import models
from shared.seeding import SeedContext, stable_id, stamped, weighted_choice

from .data import BLUEPRINTS, FIRST_STATUSES, REGIONS, TEMPLATES, WORKFLOW_STATUSES, node


def workflows(ctx: SeedContext, staff: list[str]) -> list[dict]:
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
        nodes = [node("start", "trigger", "Start"), *steps]
        row = stamped(
            {
                "id": workflow_id,
                "name": title,
                "description": f"Automatiserer {name.lower()} for Rendetalje.",
                "is_template": is_template,
                "template": template,
                "status": status,
                "trigger": trigger,
                "nodes": nodes,
                "edges": [{"from": a["id"], "to": b["id"]} for a, b in zip(nodes, nodes[1:], strict=False)],
                "timeout": rng.choice([300, 900, 3600]),
                "retry_attempts": rng.choice([1, 3, 3, 5]),
                "owner": rng.choice(staff),
                "execution_count": 0,
                "success_count": 0,
                "failure_count": 0,
                "avg_duration_ms": None,
                "last_executed_at": None,
                "_steps": steps,
                "_timing": timing,
            },
            ctx.now - dt.timedelta(seconds=int((120 + rng.random() * 280) * 86400)),
        )
        if is_template:
            templates[number] = workflow_id
        rows.append(row)
    return rows


def count_runs(workflow_rows: list[dict], runs: list[dict]) -> None:
    """Each workflow's counters as finish_execution keeps them (running executions are not counted)."""
    by_id = {row["id"]: row for row in workflow_rows}
    durations = defaultdict(list)
    for run in runs:
        workflow = by_id[run["workflow"]]
        if workflow["last_executed_at"] is None or run["started_at"] > workflow["last_executed_at"]:
            workflow["last_executed_at"] = run["started_at"]
        if run["status"] == models.Execution.Status.RUNNING:
            continue
        workflow["execution_count"] += 1
        workflow["success_count"] += run["status"] == models.Execution.Status.COMPLETED
        workflow["failure_count"] += run["status"] == models.Execution.Status.FAILED
        durations[run["workflow"]].append(run["duration_ms"])
    for workflow_id, values in durations.items():
        by_id[workflow_id]["avg_duration_ms"] = sum(values) / len(values)
