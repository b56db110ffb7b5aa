"""Seed the flow schema: RenOS automations (templates and workflows in every status), their executions
with steps and logs, schedules, webhooks, integrations, variables and daily metrics.

Rows follow `flow.services`:
- only active workflows have running executions; a finished execution has its completion time and
  duration, a running one neither; steps are recorded per attempt (a failed attempt may be retried),
  `completed_steps`, `current_step` and `failed_step` are what `record_step` would have left;
- a workflow's execution, success and failure counts, average duration and last execution are
  computed from its executions, as `finish_execution` keeps them;
- schedules have a valid cron expression or an interval (never both); an active schedule's next run
  is computed by `services.next_run_after` from the start of tomorrow (UTC), so it lies ahead on the
  day of seeding (like billy's cache expiry, the one value that follows the calendar); a paused or
  archived workflow's schedules are inactive without a next run, as `archive_workflow` leaves them;
- secret variables and webhook secrets are `shared.crypto` tokens (`services.stored_variable_value`);
  integrations keep no secret in their config, only the key of the variable that holds it.

The rows people look at (workflows, executions, schedules, webhooks, integrations, variables) are made
by `flow.factories` (`shared.seeding.built`), whose declarations hold the rules of the derived columns
(edges, durations, next runs, encrypted secrets and stored variable values); the bulk history (steps,
log lines, daily metrics) goes to `load` as plain rows by the same rules.

The rows are built in a module per concern, in the order their random draws have always come:
- `data`: the fixed vocabulary (the automations' blueprints, regions, errors, integrations, global
  variables), the weights of each draw, and the demo secrets;
- `automations`: workflows, and the counters their runs add up to;
- `runs`: executions with their steps (one row per attempt) and log lines;
- `triggers`: schedules and webhooks;
- `connections`: integrations and variables;
- `figures`: the daily metrics.
"""

from __future__ import annotations

from flow import models
from shared.demo import staff_emails
from shared.seeding import SeedContext, load, truncate_app, without_private_keys

from .automations import count_runs, workflows
from .connections import integrations, variables
from .data import BLUEPRINTS, ERRORS, FIRST_STATUSES, GLOBAL_VARIABLES, INTEGRATIONS, REGIONS, TEMPLATES
from .figures import metrics
from .runs import executions
from .triggers import schedules, webhooks

# The names this module had when it was one file.
__all__ = [
    "BLUEPRINTS",
    "ERRORS",
    "FIRST_STATUSES",
    "GLOBAL_VARIABLES",
    "INTEGRATIONS",
    "REGIONS",
    "TEMPLATES",
    "executions",
    "integrations",
    "metrics",
    "reset",
    "schedules",
    "seed",
    "variables",
    "webhooks",
    "workflows",
]


def seed(ctx: SeedContext) -> None:
    staff = staff_emails(ctx)
    workflow_rows = workflows(ctx, staff)
    runs, steps, logs = executions(ctx, workflow_rows)
    count_runs(workflow_rows, runs)
    for model, rows in (
        (models.Workflow, workflow_rows),
        (models.Execution, runs),
        (models.ExecutionStep, steps),
        (models.ExecutionLog, logs),
        (models.Schedule, schedules(ctx, workflow_rows, runs)),
        (models.Webhook, webhooks(ctx, workflow_rows, runs)),
        (models.Integration, integrations(ctx, staff)),
        (models.Variable, variables(ctx, workflow_rows)),
        (models.FlowMetric, metrics(runs)),
    ):
        load(ctx, model, without_private_keys(rows), total=len(rows))


def reset(ctx: SeedContext) -> None:
    truncate_app(ctx)
