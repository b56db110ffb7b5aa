"""Public API of the flow schema: workflows and their life cycle, executions, schedules, variables, webhooks.

Sibling apps, the admin's actions and the commands call these; each validates first (a
`ValidationError` names what is wrong) and writes in a transaction.

Life cycle: draft → active ⇄ paused, and any of them → archived. Only an active workflow runs. A run
is an execution: `execute_workflow` starts it, `record_step` and `log_execution` record what happens,
`finish_execution` ends it and adds it to the workflow's counters and average duration in one UPDATE
(the database serialises concurrent finishes on the row, so counters stay exact).

Import from here (`from flow.services import execute_workflow`); the code lives in a module per concern:

- `workflows`: `create_workflow`, `activate_workflow`, `pause_workflow`, `archive_workflow`;
- `executions`: `execute_workflow`, `record_step`, `log_execution`, `finish_execution`,
  `prune_execution_logs`;
- `schedules`: `validate_timezone`, `validate_cron_expression`, `next_run_after`, `create_schedule`;
- `variables`: `stored_variable_value`, `set_variable`, `variable_value`;
- `webhooks`: `clean_allowed_ips`, `create_webhook`, `set_webhook_secret`, `webhook_secret`;
- `validation`: the argument checks more than one of them needs.
"""

from __future__ import annotations

# Names of the module flow.services was before it became a package: they keep working.
from .executions import FINISHED as FINISHED
from .executions import (
    execute_workflow,
    finish_execution,
    log_execution,
    prune_execution_logs,
    record_step,
)
from .schedules import SCHEDULE_FIELDS as SCHEDULE_FIELDS
from .schedules import create_schedule, next_run_after, validate_cron_expression, validate_timezone
from .variables import set_variable, stored_variable_value, variable_value
from .webhooks import clean_allowed_ips, create_webhook, set_webhook_secret, webhook_secret
from .workflows import activate_workflow, archive_workflow, create_workflow, pause_workflow

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
