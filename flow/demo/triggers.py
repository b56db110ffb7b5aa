"""How workflows are started: schedules (cron or interval) and webhooks, with what their runs left."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flow import factories, models
from shared.seeding import SeedContext, built, slug, stable_id

from .data import demo_secret


def schedules(ctx: SeedContext, workflow_rows: list[dict], runs: list[dict]) -> list[dict]:
    """A schedule per scheduled workflow, made by `ScheduleFactory`: an active one's next run follows
    the start of tomorrow (UTC), so it lies ahead on the day of seeding."""
    rng = ctx.rng
    scheduled_runs = defaultdict(list)
    for run in runs:
        if run["triggered_by"] == "schedule":
            scheduled_runs[run["workflow"]].append(run["started_at"])
    tomorrow = ctx.today + dt.timedelta(days=1)
    rows = []
    for workflow in workflow_rows:
        timing = workflow["_timing"]
        if timing is None or workflow["is_template"]:
            continue
        cron = timing if isinstance(timing, str) else None
        interval = timing if isinstance(timing, int) else None
        zone = "Europe/Copenhagen" if rng.random() < 0.9 else "UTC"
        started = workflow["created_at"]
        end = started + dt.timedelta(days=3 * 365) if rng.random() < 0.2 else None
        past = scheduled_runs[workflow["id"]]
        rows.append(
            built(
                factories.ScheduleFactory,
                id=stable_id("flow.schedules", workflow["id"], 0),
                workflow_id=workflow["id"],
                name=f"{workflow['name']} ({cron or f'hvert {interval}. minut'})",
                description=None,
                cron_expression=cron,
                interval_minutes=interval,
                is_active=workflow["status"] == models.Workflow.Status.ACTIVE,
                timezone=zone,
                start_date=started,
                end_date=end,
                max_runs=None,
                current_runs=len(past),
                last_run=max(past) if past else None,
                after=tomorrow,
                created_at=started,
                updated_at=started,
            )
        )
    return rows


def webhooks(ctx: SeedContext, workflow_rows: list[dict], runs: list[dict]) -> list[dict]:
    """A webhook per webhook-triggered workflow, made by `WebhookFactory` (which encrypts the secret)."""
    rng = ctx.rng
    requests = defaultdict(list)
    for run in runs:
        if run["triggered_by"] == "webhook":
            requests[run["workflow"]].append(run["started_at"])
    rows = []
    for workflow in workflow_rows:
        if workflow["trigger"]["type"] != "webhook" or workflow["is_template"]:
            continue
        url = f"/hooks/{slug(workflow['name']).replace('.', '-')}-{workflow['id'].hex[:8]}"
        calls = requests[workflow["id"]]
        rows.append(
            built(
                factories.WebhookFactory,
                id=stable_id("flow.webhooks", url),
                workflow_id=workflow["id"],
                name=f"Webhook: {workflow['name']}",
                url=url,
                method=models.Webhook.Method.POST if rng.random() < 0.9 else models.Webhook.Method.PUT,
                plain_secret=demo_secret(ctx, "webhook"),
                allowed_ips=["10.0.0.0/8", "192.168.1.0/24"] if rng.random() < 0.4 else [],
                is_active=workflow["status"] == models.Workflow.Status.ACTIVE,
                request_count=len(calls),
                last_request_at=max(calls) if calls else None,
                created_at=workflow["created_at"],
                updated_at=workflow["created_at"],
            )
        )
    return rows
