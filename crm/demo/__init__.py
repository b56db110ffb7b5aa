"""Seed the crm schema: Danish companies with their contacts, deals in every stage with their product
lines, activities, e-mails, tasks, and daily metrics computed from the seeded rows.

Every row is made by crm's factories (`crm.factories`, through `shared.seeding.built`): the demo passes
what it draws from the seed (names, times, stable ids, links by id) and the factory adds what follows from
it, by the same rules the tests' rows get. No crm table holds bulk history (the largest, activities, has
25,000 rows at `large`), so none goes to `load` as plain dicts.

Rows follow `crm.services`:
- a deal's status follows its stage (closed_won: won, closed_lost: lost, else open); a closed deal has
  its close date and a probability of 100 (won) or 0 (lost) (DealFactory applies the services' closing
  rule), a lost deal its reason;
- a product line's total is quantity × unit price less the discount per cent, rounded to øre
  (`services.line_total`, applied by DealProductFactory, which the table's check recomputes); a deal with
  lines is worth their sum;
- a contact's and a company's last_contact_at is their newest call, e-mail or meeting;
- a company's VAT number is DK and its CVR number, its website and e-mail on its name's own `.example`
  domain (CompanyFactory).

Owners are the demo staff users of the shared seed (by e-mail: crm stores people as text), so the crm
can be seeded on its own. Contacts get addresses at CONTACT_DOMAIN (their e-mail is unique).

The rows are built in a module per concern, in the order their random draws have always come:
- `data`: the fixed vocabulary (industries, products, stages, phrases) and the weights of each draw;
- `accounts`: companies and contacts;
- `pipeline`: deals and their product lines;
- `activity`: activities (and the last_contact_at they move), e-mails and tasks;
- `metrics`: the daily figures.
"""

from __future__ import annotations

from crm import models
from shared.demo import staff_emails
from shared.seeding import SeedContext, load, truncate_app, without_private_keys

from .accounts import companies, contacts
from .activity import activities, emails, tasks, touch_last_contact
from .data import (
    ACTIVITY_SUBJECTS,
    CONTACT_DOMAIN,
    INDUSTRIES,
    LOST_REASONS,
    OUTCOMES,
    PROBABILITY,
    PRODUCTS,
    SIZES,
    STAGES,
    TASK_TITLES,
)
from .metrics import daily_metrics
from .pipeline import deals

# The names this module had when it was one file.
__all__ = [
    "ACTIVITY_SUBJECTS",
    "CONTACT_DOMAIN",
    "INDUSTRIES",
    "LOST_REASONS",
    "OUTCOMES",
    "PROBABILITY",
    "PRODUCTS",
    "SIZES",
    "STAGES",
    "TASK_TITLES",
    "reset",
    "seed",
]


def seed(ctx: SeedContext) -> None:
    staff = staff_emails(ctx)
    company_rows = companies(ctx, staff)
    contact_rows = contacts(ctx, company_rows, staff)
    deal_rows, products = deals(ctx, contact_rows)
    activity_rows = activities(ctx, contact_rows, deal_rows)
    touch_last_contact(company_rows, contact_rows, activity_rows)
    email_rows = emails(ctx, contact_rows, staff)
    task_rows = tasks(ctx, contact_rows)
    metrics = daily_metrics(ctx, contact_rows, deal_rows, activity_rows)
    for model, rows in (
        (models.Company, company_rows),
        (models.Contact, contact_rows),
        (models.Deal, deal_rows),
        (models.DealProduct, products),
        (models.Activity, activity_rows),
        (models.Email, email_rows),
        (models.Task, task_rows),
        (models.CrmMetric, metrics),
    ):
        load(ctx, model, without_private_keys(rows), total=len(rows))


def reset(ctx: SeedContext) -> None:
    truncate_app(ctx)
