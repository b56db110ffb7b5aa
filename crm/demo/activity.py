"""What happens around contacts, made by crm's factories: activities (which move last_contact_at),
e-mails and tasks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from crm import models
from crm.factories import ActivityFactory, EmailFactory, TaskFactory
from crm.services import CONTACT_ACTIVITY_TYPES
from shared.seeding import SeedContext, built, stable_id, stamped, weighted_choice

from .data import (
    ACTIVITY_SUBJECTS,
    ACTIVITY_TYPES,
    FUTURE_TASK_STATUSES,
    OUTBOUND_EMAIL_STATUSES,
    OUTCOMES,
    PAST_TASK_STATUSES,
    TALKS,
    TASK_PRIORITIES,
    TASK_TITLES,
)


def activities(ctx: SeedContext, contacts: list[dict], deals: list[dict]) -> list[dict]:
    """Activities about contacts, a share of them about one of the contact's deals."""
    rng = ctx.rng
    deals_of = defaultdict(list)
    for deal in deals:
        deals_of[deal["contact"]].append(deal)
    rows = []
    for index in range(ctx.pick(60, 2_000, 25_000)):
        contact = rng.choice(contacts)
        kind = weighted_choice(ctx, ACTIVITY_TYPES)
        deal = rng.choice(deals_of[contact["id"]]) if deals_of[contact["id"]] and rng.random() < 0.6 else None
        at = max(ctx.moment(days_back=365), contact["created_at"])
        row = built(
            ActivityFactory,
            id=stable_id("crm.activities", ctx.random_seed, index),
            type=kind,
            subject=rng.choice(ACTIVITY_SUBJECTS[kind]),
            description=ctx.faker.sentence(nb_words=10),
            contact_id=contact["id"],
            company_id=contact["company"],
            deal_id=deal["id"] if deal else None,
            owner=contact["owner"],
            duration_minutes=rng.choice([5, 10, 15, 30, 45, 60]) if kind in TALKS else None,
            outcome=rng.choice(OUTCOMES) if kind in TALKS else None,
            occurred_at=at,
        )
        rows.append(stamped(row, at))
    return rows


def touch_last_contact(companies: list[dict], contacts: list[dict], activities: list[dict]) -> None:
    """last_contact_at: the newest call, e-mail or meeting, as log_activity keeps it."""
    by_contact = {contact["id"]: contact for contact in contacts}
    by_company = {company["id"]: company for company in companies}
    for activity in activities:
        if activity["type"] not in CONTACT_ACTIVITY_TYPES:
            continue
        for row in (by_contact.get(activity["contact"]), by_company.get(activity["company"])):
            if row is not None and (
                row["last_contact_at"] is None or activity["occurred_at"] > row["last_contact_at"]
            ):
                row["last_contact_at"] = activity["occurred_at"]


def emails(ctx: SeedContext, contacts: list[dict], staff: list[str]) -> list[dict]:
    return [_email(ctx, index, contacts, staff) for index in range(ctx.pick(30, 1_000, 12_000))]


def _email(ctx: SeedContext, index: int, contacts: list[dict], staff: list[str]) -> dict:
    """One e-mail with a contact: most go out (drafts are unsent), the rest come in delivered."""
    rng = ctx.rng
    contact = rng.choice(contacts)
    outbound = rng.random() < 0.6
    status = weighted_choice(ctx, OUTBOUND_EMAIL_STATUSES) if outbound else models.Email.Status.DELIVERED
    sent = (
        None if status == models.Email.Status.DRAFT else max(ctx.moment(days_back=365), contact["created_at"])
    )
    opened = (
        sent + dt.timedelta(minutes=rng.randrange(2, 600))
        if status in (models.Email.Status.OPENED, models.Email.Status.CLICKED)
        else None
    )
    email_id = stable_id("crm.emails", ctx.random_seed, index)
    row = built(
        EmailFactory,
        id=email_id,
        subject=rng.choice(ACTIVITY_SUBJECTS[models.Activity.Type.EMAIL]),
        body=f"Hej {contact['first_name']},\n\n{ctx.faker.paragraph(nb_sentences=3)}\n\nMvh.",
        from_address=contact["owner"] if outbound else contact["email"],
        to=[contact["email"]] if outbound else [contact["owner"]],
        cc=[rng.choice(staff)] if rng.random() < 0.1 else [],
        bcc=[],
        direction=models.Email.Direction.OUTBOUND if outbound else models.Email.Direction.INBOUND,
        status=status,
        opened_at=opened,
        clicked_at=opened + dt.timedelta(minutes=1) if status == models.Email.Status.CLICKED else None,
        contact_id=contact["id"],
        external_id=f"demo-{email_id.hex[:16]}" if sent else None,
        thread_id=f"crm-thread-{contact['id'].hex[:12]}",
        sent_at=sent,
    )
    return stamped(row, sent or ctx.now - dt.timedelta(hours=rng.randrange(1, 72)))


def tasks(ctx: SeedContext, contacts: list[dict]) -> list[dict]:
    return [_task(ctx, index, contacts) for index in range(ctx.pick(20, 600, 8_000))]


def _task(ctx: SeedContext, index: int, contacts: list[dict]) -> dict:
    """A task about a contact, due in the last two months or the next month; past ones are mostly done."""
    rng = ctx.rng
    contact = rng.choice(contacts)
    company = contact["_company"]
    due = ctx.now + dt.timedelta(days=rng.randrange(-60, 30), hours=rng.randrange(0, 8))
    status = weighted_choice(ctx, PAST_TASK_STATUSES if due < ctx.now else FUTURE_TASK_STATUSES)
    title = rng.choice(TASK_TITLES).format(
        name=f"{contact['first_name']} {contact['last_name']}",
        company=company["name"] if company else "kunden",
    )
    created = min(due - dt.timedelta(days=rng.randrange(1, 20)), ctx.now)
    row = built(
        TaskFactory,
        id=stable_id("crm.tasks", ctx.random_seed, index),
        title=title[:255],
        description=None,
        assigned_to=contact["owner"],
        contact_id=contact["id"],
        status=status,
        priority=weighted_choice(ctx, TASK_PRIORITIES),
        due_date=due,
        completed_at=min(due, ctx.now) - dt.timedelta(hours=rng.randrange(0, 48))
        if status == models.Task.Status.DONE
        else None,
    )
    return stamped(row, created)
