"""What workflows reach: integrations (secrets only by variable name) and global and workflow variables."""

from __future__ import annotations

import datetime as dt

from flow import factories, models
from shared.seeding import SeedContext, built, slug, stable_id, weighted_choice

from .data import ERRORS, GLOBAL_VARIABLES, INTEGRATION_STATUSES, INTEGRATIONS, REGIONS, demo_secret


def integrations(ctx: SeedContext, staff: list[str]) -> list[dict]:
    """The integrations, made by `IntegrationFactory`: an inactive one unused, a failing one with an error."""
    rng = ctx.rng
    rows = []
    for index in range(ctx.pick(6, 12, 30)):
        name, kind, config = INTEGRATIONS[index % len(INTEGRATIONS)]
        if index >= len(INTEGRATIONS):
            name = f"{name} ({REGIONS[(index // len(INTEGRATIONS) - 1) % len(REGIONS)]})"
        status = weighted_choice(ctx, INTEGRATION_STATUSES)
        failing = status == models.Integration.Status.ERROR
        used = rng.randrange(0, 5_000) if status != models.Integration.Status.INACTIVE else 0
        created = ctx.now - dt.timedelta(days=300 + index)
        rows.append(
            built(
                factories.IntegrationFactory,
                id=stable_id("flow.integrations", name),
                name=name,
                type=kind,
                config=dict(config),
                status=status,
                last_error=ERRORS.get(kind, "Timeout efter 10 s") if failing else None,
                owner=rng.choice(staff),
                usage_count=used,
                last_used_at=ctx.now - dt.timedelta(minutes=rng.randrange(1, 5_000)) if used else None,
                created_at=created,
                updated_at=created,
            )
        )
    return rows


def variables(ctx: SeedContext, workflow_rows: list[dict]) -> list[dict]:
    """The global variables, then one to three of each workflow's own, made by `VariableFactory` (which
    stores the value as `services.stored_variable_value` does: a secret encrypted)."""
    rng = ctx.rng
    rows = []
    at = ctx.now - dt.timedelta(days=400)
    for key, kind, value, secret, description in GLOBAL_VARIABLES:
        rows.append(
            built(
                factories.VariableFactory,
                id=stable_id("flow.variables", "global", key),
                workflow_id=None,
                key=key,
                plain_value=demo_secret(ctx, key) if secret else value,
                type=kind,
                is_secret=secret,
                description=description,
                created_at=at,
                updated_at=at,
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
                built(
                    factories.VariableFactory,
                    id=stable_id("flow.variables", workflow["id"], key),
                    workflow_id=workflow["id"],
                    key=key,
                    plain_value=demo_secret(ctx, key) if secret else value,
                    type=kind,
                    is_secret=secret,
                    description=None,
                    created_at=workflow["created_at"],
                    updated_at=workflow["created_at"],
                )
            )
    return rows
