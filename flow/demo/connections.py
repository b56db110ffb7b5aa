"""What workflows reach: integrations (secrets only by variable name) and global and workflow variables."""

from __future__ import annotations

import datetime as dt

from flow import models
from flow.services import stored_variable_value
from shared.seeding import SeedContext, slug, stable_id, stamped, weighted_choice

from .data import ERRORS, GLOBAL_VARIABLES, INTEGRATION_STATUSES, INTEGRATIONS, REGIONS, demo_secret


def integrations(ctx: SeedContext, staff: list[str]) -> list[dict]:
    rng = ctx.rng
    rows = []
    for index in range(ctx.pick(6, 12, 30)):
        name, kind, config = INTEGRATIONS[index % len(INTEGRATIONS)]
        if index >= len(INTEGRATIONS):
            name = f"{name} ({REGIONS[(index // len(INTEGRATIONS) - 1) % len(REGIONS)]})"
        status = weighted_choice(ctx, INTEGRATION_STATUSES)
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
                        value=demo_secret(ctx, key) if secret else value, type=kind, is_secret=secret
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
                            value=demo_secret(ctx, key) if secret else value, type=kind, is_secret=secret
                        ),
                        "type": kind,
                        "is_secret": secret,
                        "description": None,
                    },
                    workflow["created_at"],
                )
            )
    return rows
