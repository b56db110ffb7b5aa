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
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flow import models
from flow.services import next_run_after, stored_variable_value
from shared import crypto
from shared.demo import staff_emails
from shared.seeding import (
    SeedContext,
    load,
    slug,
    stable_id,
    stamped,
    truncate_app,
    weighted_choice,
    without_private_keys,
)


def _node(node_id: str, node_type: str, name: str) -> dict:
    return {"id": node_id, "type": node_type, "name": name}


# name, trigger, nodes after the trigger node, cron or interval (for scheduled ones)
BLUEPRINTS = [
    (
        "Bookingbekræftelse",
        {"type": "webhook", "event": "booking.created"},
        [
            _node("hent_kunde", "database", "Hent kunde"),
            _node("send_mail", "email", "Send bekræftelse"),
            _node("kalender", "google_calendar", "Opret kalenderaftale"),
        ],
        None,
    ),
    (
        "Fakturapåmindelse",
        {"type": "schedule"},
        [
            _node("find_forfaldne", "database", "Find forfaldne fakturaer"),
            _node("send_rykker", "email", "Send påmindelse"),
            _node("billy_note", "billy", "Noter i Billy"),
        ],
        "0 9 * * 1-5",
    ),
    (
        "Nyt lead fra hjemmesiden",
        {"type": "webhook", "event": "lead.created"},
        [
            _node("score", "ai", "Vurder lead"),
            _node("slack", "slack", "Giv salg besked"),
            _node("tilbud", "email", "Send tilbud"),
        ],
        None,
    ),
    (
        "Billy-synkronisering",
        {"type": "schedule"},
        [
            _node("hent_fakturaer", "billy", "Hent fakturaer"),
            _node("opdater_cache", "database", "Opdater cache"),
        ],
        15,
    ),
    (
        "Ugentlig rapport",
        {"type": "schedule"},
        [
            _node("saml_tal", "database", "Saml ugens tal"),
            _node("lav_pdf", "pdf", "Lav rapport"),
            _node("mail_ledelse", "email", "Send til ledelsen"),
        ],
        "0 7 * * 1",
    ),
    (
        "Opfølgning på tilbud",
        {"type": "schedule"},
        [
            _node("find_tilbud", "database", "Find ubesvarede tilbud"),
            _node("opfoelg", "email", "Send opfølgning"),
        ],
        "30 10 * * *",
    ),
    (
        "Kundetilfredshed efter rengøring",
        {"type": "event", "event": "booking.completed"},
        [_node("vent", "delay", "Vent et døgn"), _node("sms", "sms", "Send SMS-undersøgelse")],
        None,
    ),
    (
        "Natlig backup",
        {"type": "schedule"},
        [
            _node("backup", "command", "Tag backup"),
            _node("tjek", "command", "Kontrollér backup"),
            _node("besked", "slack", "Rapportér i #drift"),
        ],
        "0 3 * * *",
    ),
]
# Blueprints that also exist as templates (the first of each), from which later workflows are made.
TEMPLATES = {1, 3, 5}
FIRST_STATUSES = [
    models.Workflow.Status.ACTIVE,
    models.Workflow.Status.PAUSED,
    models.Workflow.Status.ACTIVE,
    models.Workflow.Status.DRAFT,
    models.Workflow.Status.ARCHIVED,
]
REGIONS = ["København", "Aarhus", "Odense", "Aalborg", "Esbjerg", "Vejle", "Roskilde", "Horsens"]
ERRORS = {
    "email": "SMTP 451: midlertidig fejl hos modtagerens server",
    "billy": "Billy API svarede 429 Too Many Requests",
    "slack": "Slack: channel_not_found",
    "database": "canceling statement due to statement timeout",
    "google_calendar": "Google Calendar: 401 invalid_grant",
}
INTEGRATIONS = [
    ("Slack #drift", "slack", {"channel": "#drift", "token_variable": "SLACK_BOT_TOKEN"}),
    (
        "Gmail (info@rendetalje.dk)",
        "email",
        {"from": "info@rendetalje.dk", "password_variable": "SMTP_PASSWORD"},
    ),
    ("Billy.dk", "billy", {"organization": "demo-00000", "api_key_variable": "BILLY_API_KEY"}),
    ("Google Kalender", "google_calendar", {"calendar": "bookinger@rendetalje.dk"}),
    ("RenOS API", "http", {"base_url": "https://api.renos.dk/v1", "timeout_s": 10}),
    ("SMS-gateway", "sms", {"sender": "Rendetalje", "api_key_variable": "SMS_API_KEY"}),
]
# key, type, value, secret, description
GLOBAL_VARIABLES = [
    ("FIRMANAVN", models.Variable.Type.STRING, "Rendetalje ApS", False, "Navnet i e-mails og rapporter."),
    ("MOMS_SATS", models.Variable.Type.NUMBER, "25", False, "Moms i procent."),
    (
        "STANDARD_TIMEPRIS",
        models.Variable.Type.NUMBER,
        "349.00",
        False,
        "Timepris for fast rengøring, ekskl. moms.",
    ),
    ("SEND_SMS", models.Variable.Type.BOOLEAN, "true", False, "Send SMS-påmindelser."),
    (
        "ARBEJDSTIDER",
        models.Variable.Type.JSON,
        {"man-fre": "07:00-16:00", "lør": "lukket"},
        False,
        "Åbningstider.",
    ),
    ("SLACK_BOT_TOKEN", models.Variable.Type.STRING, None, True, "Token til Slack-botten."),
    ("SMTP_PASSWORD", models.Variable.Type.STRING, None, True, "Adgangskode til info@rendetalje.dk."),
    ("BILLY_API_KEY", models.Variable.Type.STRING, None, True, "API-nøgle til Billy.dk."),
    ("SMS_API_KEY", models.Variable.Type.STRING, None, True, "API-nøgle til SMS-gatewayen."),
]


def _secret(ctx: SeedContext, key: str) -> str:
    """A demo secret (never a real credential)."""
    return f"demo-{key.lower().replace('_', '-')}-{ctx.rng.getrandbits(64):016x}"


def workflows(ctx: SeedContext, staff: list[str]) -> list[dict]:
    rng = ctx.rng
    rows, templates = [], {}
    statuses = {
        models.Workflow.Status.ACTIVE: 5,
        models.Workflow.Status.PAUSED: 1.5,
        models.Workflow.Status.DRAFT: 2,
        models.Workflow.Status.ARCHIVED: 1.5,
    }
    plain = 0
    for index in range(ctx.pick(8, 60, 300)):
        number = index % len(BLUEPRINTS)
        name, trigger, steps, timing = BLUEPRINTS[number]
        is_template = index < len(BLUEPRINTS) and number in TEMPLATES
        if is_template:
            status, title = models.Workflow.Status.ACTIVE, f"Skabelon: {name}"
        else:
            # Every status first (so that each is present at every size, with an active schedule).
            status = FIRST_STATUSES[plain] if plain < len(FIRST_STATUSES) else weighted_choice(ctx, statuses)
            plain += 1
            title = f"{name} – {REGIONS[(index // len(BLUEPRINTS)) % len(REGIONS)]}"
            if index >= len(BLUEPRINTS) * len(REGIONS):
                title += f" {index // (len(BLUEPRINTS) * len(REGIONS)) + 1}"
        workflow_id = stable_id("flow.workflows", ctx.random_seed, index)
        template = templates.get(number) if not is_template and rng.random() < 0.5 else None
        nodes = [_node("start", "trigger", "Start"), *steps]
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


def executions(ctx: SeedContext, workflow_rows: list[dict]):
    rng = ctx.rng
    runnable = [
        row
        for row in workflow_rows
        if row["status"] != models.Workflow.Status.DRAFT and not row["is_template"]
    ]
    weights = [6 if row["status"] == models.Workflow.Status.ACTIVE else 1 for row in runnable]
    runs, steps, logs = [], [], []
    for index in range(ctx.pick(40, 2_000, 25_000)):
        workflow = rng.choices(runnable, weights=weights)[0]
        execution_id = stable_id("flow.executions", ctx.random_seed, index)
        if workflow["status"] == models.Workflow.Status.ACTIVE and rng.random() < 0.04:
            status = models.Execution.Status.RUNNING
            started = ctx.now - dt.timedelta(seconds=rng.randrange(5, 600))
        else:
            status = weighted_choice(
                ctx,
                {
                    models.Execution.Status.COMPLETED: 85,
                    models.Execution.Status.FAILED: 12,
                    models.Execution.Status.CANCELLED: 3,
                },
            )
            started = max(ctx.moment(days_back=90), workflow["created_at"] + dt.timedelta(days=1))
        trigger = workflow["trigger"]["type"]
        triggered_by = {"webhook": "webhook", "schedule": "schedule", "event": "event"}[trigger]
        if rng.random() < 0.05:
            triggered_by = f"manual:{workflow['owner']}"
        run = stamped(
            {
                "id": execution_id,
                "workflow": workflow["id"],
                "status": status,
                "input": {"booking_id": rng.randrange(10_000, 99_999)} if trigger != "schedule" else {},
                "output": None,
                "error": None,
                "current_step": None,
                "completed_steps": [],
                "failed_step": None,
                "started_at": started,
                "completed_at": None,
                "duration_ms": None,
                "triggered_by": triggered_by,
                "metadata": {"retry_attempts": workflow["retry_attempts"]},
            },
            started,
        )
        _steps(ctx, run, workflow, steps, logs)
        runs.append(run)
    return runs, steps, logs


def _steps(ctx: SeedContext, run: dict, workflow: dict, steps: list, logs: list) -> None:
    """The steps and log lines of one run, in time order, and the run's progress fields."""
    rng = ctx.rng
    nodes = workflow["_steps"]
    status = run["status"]
    at = run["started_at"]
    # How far the run got: a failed run fails at some node, a cancelled one stops early, a running
    # one is inside some node; a completed run did them all.
    stop = (
        rng.randrange(len(nodes))
        if status
        in (
            models.Execution.Status.FAILED,
            models.Execution.Status.CANCELLED,
            models.Execution.Status.RUNNING,
        )
        else len(nodes)
    )

    def log(level, message, step_id, moment, data=None):
        logs.append(
            stamped(
                {
                    "id": stable_id("flow.execution_logs", run["id"], len(logs)),
                    "execution": run["id"],
                    "level": level,
                    "message": message,
                    "data": data,
                    "step_id": step_id,
                    "timestamp": moment,
                },
                moment,
            )
        )

    log(
        models.ExecutionLog.Level.INFO,
        f"Startede {workflow['name']}",
        None,
        at,
        {"triggered_by": run["triggered_by"]},
    )
    for position, node in enumerate(nodes):
        step = {
            "execution": run["id"],
            "step_id": node["id"],
            "step_name": node["name"],
            "step_type": node["type"],
        }
        if position > stop or (position == stop and status == models.Execution.Status.CANCELLED):
            if status == models.Execution.Status.CANCELLED:
                steps.append(_step(run, step, 1, models.ExecutionStep.Status.SKIPPED, at, at, workflow))
            elif status == models.Execution.Status.RUNNING:
                steps.append(_step(run, step, 1, models.ExecutionStep.Status.PENDING, None, None, workflow))
            continue
        if position == stop and status == models.Execution.Status.RUNNING:
            steps.append(_step(run, step, 1, models.ExecutionStep.Status.RUNNING, at, None, workflow))
            run["current_step"] = node["id"]
            log(models.ExecutionLog.Level.INFO, f"{node['name']} kører", node["id"], at)
            continue
        failing = position == stop and status == models.Execution.Status.FAILED
        # A step that failed before it succeeded (or before the run gave up) has one row per attempt.
        attempts = workflow["retry_attempts"] if failing else (2 if rng.random() < 0.06 else 1)
        attempts = min(attempts, workflow["retry_attempts"])
        for attempt in range(1, attempts + 1):
            took = dt.timedelta(milliseconds=rng.randrange(80, 20_000))
            last = attempt == attempts
            outcome = (
                models.ExecutionStep.Status.COMPLETED
                if last and not failing
                else models.ExecutionStep.Status.FAILED
            )
            error = (
                ERRORS.get(node["type"], "Uventet fejl")
                if outcome == models.ExecutionStep.Status.FAILED
                else None
            )
            steps.append(_step(run, step, attempt, outcome, at, at + took, workflow, error=error))
            at += took
            run["current_step"] = node["id"]
            if outcome == models.ExecutionStep.Status.FAILED:
                run["failed_step"] = node["id"]
                level = models.ExecutionLog.Level.ERROR if last else models.ExecutionLog.Level.WARNING
                log(level, f"{node['name']} fejlede (forsøg {attempt}): {error}", node["id"], at)
            else:
                if node["id"] not in run["completed_steps"]:
                    run["completed_steps"].append(node["id"])
                log(
                    models.ExecutionLog.Level.INFO,
                    f"{node['name']} fuldført på {took.total_seconds():.1f} s",
                    node["id"],
                    at,
                )
            if rng.random() < 0.2:
                log(
                    models.ExecutionLog.Level.DEBUG,
                    "Svar modtaget",
                    node["id"],
                    at,
                    {"bytes": rng.randrange(200, 20_000)},
                )
    if status == models.Execution.Status.RUNNING:
        return
    if status == models.Execution.Status.COMPLETED:
        run["output"] = {"ok": True, "steps": len(nodes)}
    elif status == models.Execution.Status.FAILED:
        run["error"] = f"Trin {run['failed_step']} fejlede efter {workflow['retry_attempts']} forsøg"
    else:
        run["error"] = "Annulleret af bruger"
        log(models.ExecutionLog.Level.WARNING, "Kørslen blev annulleret", None, at)
    run["completed_at"] = at
    run["duration_ms"] = max(0, round((at - run["started_at"]).total_seconds() * 1000))


def _step(run, step, attempt, status, started, completed, workflow, error=None) -> dict:
    duration = round((completed - started).total_seconds() * 1000) if started and completed else None
    return stamped(
        {
            "id": stable_id("flow.execution_steps", run["id"], step["step_id"], attempt),
            **step,
            "status": status,
            "input": {"attempt": attempt},
            "output": {"ok": True} if status == models.ExecutionStep.Status.COMPLETED else None,
            "error": error,
            "started_at": started,
            "completed_at": completed,
            "duration_ms": duration,
            "attempt_number": attempt,
            "max_attempts": workflow["retry_attempts"],
        },
        started or run["started_at"],
    )


def _count(workflow_rows: list[dict], runs: list[dict]) -> None:
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


def schedules(ctx: SeedContext, workflow_rows: list[dict], runs: list[dict]) -> list[dict]:
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
        active = workflow["status"] == models.Workflow.Status.ACTIVE
        zone = "Europe/Copenhagen" if rng.random() < 0.9 else "UTC"
        started = workflow["created_at"]
        end = started + dt.timedelta(days=3 * 365) if rng.random() < 0.2 else None
        past = scheduled_runs[workflow["id"]]
        rows.append(
            stamped(
                {
                    "id": stable_id("flow.schedules", workflow["id"], 0),
                    "workflow": workflow["id"],
                    "name": f"{workflow['name']} ({cron or f'hvert {interval}. minut'})",
                    "description": None,
                    "cron_expression": cron,
                    "interval_minutes": interval,
                    "is_active": active,
                    "timezone": zone,
                    "start_date": started,
                    "end_date": end,
                    "max_runs": None,
                    "current_runs": len(past),
                    "last_run": max(past) if past else None,
                    "next_run": next_run_after(
                        after=tomorrow,
                        cron_expression=cron,
                        interval_minutes=interval,
                        timezone_name=zone,
                        start_date=started,
                        end_date=end,
                    )
                    if active
                    else None,
                },
                workflow["created_at"],
            )
        )
    return rows


def webhooks(ctx: SeedContext, workflow_rows: list[dict], runs: list[dict]) -> list[dict]:
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
            stamped(
                {
                    "id": stable_id("flow.webhooks", url),
                    "workflow": workflow["id"],
                    "name": f"Webhook: {workflow['name']}",
                    "url": url,
                    "method": models.Webhook.Method.POST if rng.random() < 0.9 else models.Webhook.Method.PUT,
                    "secret": crypto.encrypt(_secret(ctx, "webhook")),
                    "allowed_ips": ["10.0.0.0/8", "192.168.1.0/24"] if rng.random() < 0.4 else [],
                    "is_active": workflow["status"] == models.Workflow.Status.ACTIVE,
                    "request_count": len(calls),
                    "last_request_at": max(calls) if calls else None,
                },
                workflow["created_at"],
            )
        )
    return rows


def integrations(ctx: SeedContext, staff: list[str]) -> list[dict]:
    rng = ctx.rng
    rows = []
    for index in range(ctx.pick(6, 12, 30)):
        name, kind, config = INTEGRATIONS[index % len(INTEGRATIONS)]
        if index >= len(INTEGRATIONS):
            name = f"{name} ({REGIONS[(index // len(INTEGRATIONS) - 1) % len(REGIONS)]})"
        status = weighted_choice(
            ctx,
            {
                models.Integration.Status.ACTIVE: 8,
                models.Integration.Status.INACTIVE: 1,
                models.Integration.Status.ERROR: 1,
            },
        )
        used = rng.randrange(0, 5_000) if status != models.Integration.Status.INACTIVE else 0
        rows.append(
            stamped(
                {
                    "id": stable_id("flow.integrations", name),
                    "name": name,
                    "type": kind,
                    "config": dict(config),
                    "status": status,
                    "last_error": ERRORS.get(kind, "Timeout efter 10 s")
                    if status == models.Integration.Status.ERROR
                    else None,
                    "owner": rng.choice(staff),
                    "usage_count": used,
                    "last_used_at": ctx.now - dt.timedelta(minutes=rng.randrange(1, 5_000)) if used else None,
                },
                ctx.now - dt.timedelta(days=300 + index),
            )
        )
    return rows


def variables(ctx: SeedContext, workflow_rows: list[dict]) -> list[dict]:
    rng = ctx.rng
    rows = []
    at = ctx.now - dt.timedelta(days=400)
    for key, kind, value, secret, description in GLOBAL_VARIABLES:
        rows.append(
            stamped(
                {
                    "id": stable_id("flow.variables", "global", key),
                    "workflow": None,
                    "key": key,
                    "value": stored_variable_value(
                        value=_secret(ctx, key) if secret else value, type=kind, is_secret=secret
                    ),
                    "type": kind,
                    "is_secret": secret,
                    "description": description,
                },
                at,
            )
        )
    for workflow in workflow_rows:
        region = workflow["name"].rsplit("– ", 1)[-1]
        local = [
            ("modtager", models.Variable.Type.STRING, f"drift+{slug(region)}@rendetalje.dk", False),
            ("forsinkelse_minutter", models.Variable.Type.NUMBER, rng.choice([0, 5, 15, 60]), False),
            ("kun_hverdage", models.Variable.Type.BOOLEAN, rng.choice(["true", "false"]), False),
            ("webhook_token", models.Variable.Type.STRING, None, True),
        ]
        for key, kind, value, secret in rng.sample(local, rng.randrange(1, 4)):
            rows.append(
                stamped(
                    {
                        "id": stable_id("flow.variables", workflow["id"], key),
                        "workflow": workflow["id"],
                        "key": key,
                        "value": stored_variable_value(
                            value=_secret(ctx, key) if secret else value, type=kind, is_secret=secret
                        ),
                        "type": kind,
                        "is_secret": secret,
                        "description": None,
                    },
                    workflow["created_at"],
                )
            )
    return rows


def metrics(runs: list[dict]) -> list[dict]:
    """Daily figures per workflow and for all (workflow NULL), computed from the finished runs."""
    figures: dict[tuple, list] = defaultdict(list)
    for run in runs:
        if run["status"] == models.Execution.Status.RUNNING:
            continue
        day = run["started_at"].date()
        for key in ((day, run["workflow"]), (day, None)):
            figures[key].append(run)
    rows = []
    for (day, workflow_id), day_runs in sorted(
        figures.items(), key=lambda item: (item[0][0], str(item[0][1]))
    ):
        values = {
            "executions": len(day_runs),
            "successes": sum(run["status"] == models.Execution.Status.COMPLETED for run in day_runs),
            "failures": sum(run["status"] == models.Execution.Status.FAILED for run in day_runs),
            "avg_duration_ms": round(sum(run["duration_ms"] for run in day_runs) / len(day_runs), 1),
        }
        for metric, value in values.items():
            rows.append(
                stamped(
                    {
                        "id": stable_id("flow.metrics", day, metric, workflow_id or "all"),
                        "date": day,
                        "metric": metric,
                        "value": float(value),
                        "workflow": workflow_id,
                        "metadata": {"source": "seed"},
                    },
                    dt.datetime.combine(day, dt.time(23, 55), tzinfo=dt.UTC),
                )
            )
    return rows


def seed(ctx: SeedContext) -> None:
    staff = staff_emails(ctx)
    workflow_rows = workflows(ctx, staff)
    runs, steps, logs = executions(ctx, workflow_rows)
    _count(workflow_rows, runs)
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
