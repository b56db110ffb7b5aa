"""Seed the shared schema: demo staff and service users, and an audit trail over them.

Demo users get addresses at DEMO_DOMAIN, so `--reset` removes exactly them (and their audit events),
never a real account such as the admin that `manage.py start` creates. Both are made by the app's
factories (`shared.factories`, through `shared.seeding.built`): the users' unusable password, the
trigger-shaped entries' `<schema>.<table>` resource type.
"""

from __future__ import annotations

import factory.random
from django.db import connection

from shared.factories import AuditLogFactory, UserFactory
from shared.models import AuditLog, User
from shared.seeding import SeedContext, built, load, slug, stable_id

# RFC 2606 reserves example.com: no demo address can reach anyone.
DEMO_DOMAIN = "demo.tekup.example.com"
ACTIONS = [
    ("login", "user"),
    ("update", "customer"),
    ("create", "invoice"),
    ("sync", "repository"),
    ("export", "report"),
    ("create", "booking"),
    ("run", "workflow"),
]


# Tables staff edit in the admin (demo audit entries of today).
STAFF_EDITED_TABLES = [("renos", "bookings"), ("renos", "customers"), ("crm", "deals"), ("flow", "workflows")]


def user_email(index: int, name: str) -> str:
    return f"{slug(name)}.{index}@{DEMO_DOMAIN}"


def staff_emails(ctx: SeedContext) -> list[str]:
    """The e-mails of this seed's demo staff (the same seed and size), who own crm and flow rows: the
    other apps' demo data refers to them by e-mail, never through another app's demo module."""
    # A SeedContext reseeds factory_boy's random: the caller's factories go on drawing from its own seed.
    state = factory.random.get_random_state()
    try:
        users = demo_users(SeedContext(app="shared", size=ctx.size, random_seed=ctx.random_seed))
    finally:
        factory.random.set_random_state(state)
    return [user["email"] for user in users if user["is_staff"]] or [users[0]["email"]]


def demo_users(ctx: SeedContext) -> list[dict]:
    """The demo users of this seed and size (other seeders use them as owners)."""
    count = ctx.pick(10, 50, 200)
    users = []
    for index in range(count):
        name = ctx.faker.name()
        email = user_email(index, name)
        created = ctx.moment(days_back=720)
        users.append(
            built(
                UserFactory,  # its password is unusable: demo users cannot log in
                id=stable_id("shared.users", email),
                email=email,
                name=name,
                is_staff=index < max(2, count // 10),
                created_at=created,
                updated_at=created,
            )
        )
    return users


def seed(ctx: SeedContext) -> None:
    users = demo_users(ctx)
    load(ctx, User, users, total=len(users))
    count = ctx.pick(50, 2_000, 50_000)
    load(ctx, AuditLog, _audit_rows(ctx, users, count), total=count)


def _audit_rows(ctx: SeedContext, users: list[dict], count: int):
    for index in range(count):
        user = ctx.rng.choice(users)
        action, resource_type = ctx.rng.choice(ACTIONS)
        at = ctx.moment(days_back=180)
        if index % 5 == 0:
            # A fifth are today's staff edits, in the shape the audit triggers write (shared.audit):
            # the dashboard's "changes by staff per hour, last 24 h". The factory's row_change names
            # their resource type after the table.
            action = ctx.rng.choice(["insert", "update", "update", "delete"])
            schema_name, table_name = ctx.rng.choice(STAFF_EDITED_TABLES)
            at = ctx.moment(days_back=1)
            target = {"row_change": True, "schema_name": schema_name, "table_name": table_name}
            resource_key: tuple = (schema_name, table_name)
        else:
            target = {"resource_type": resource_type}
            resource_key = (resource_type,)
        yield built(
            AuditLogFactory,
            id=stable_id("shared.audit_logs", ctx.random_seed, index),
            actor_id=user["id"],
            actor=user["email"],
            action=action,
            resource_id=str(stable_id(*resource_key, ctx.random_seed, ctx.rng.randrange(count))),
            metadata={"seed": True, "ip": ctx.faker.ipv4_private()},
            created_at=at,
            updated_at=at,
            **target,
        )


def reset(ctx: SeedContext) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """DELETE FROM "shared"."audit_logs" WHERE metadata @> '{"seed": true}'
               OR user_id IN (SELECT id FROM "shared"."users" WHERE email LIKE %s)""",
            [f"%@{DEMO_DOMAIN}"],
        )
        cursor.execute('DELETE FROM "shared"."users" WHERE email LIKE %s', [f"%@{DEMO_DOMAIN}"])
