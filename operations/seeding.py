"""Demo data for every app that has models: deterministic, idempotent, and fast to load.

- Deterministic: every app draws from its own `random.Random` and Faker (locale da_DK) seeded from
  `--random-seed` and the app's name, and timestamps are laid out around the seed's `now` (the
  current hour unless `--now` says otherwise): a year of history behind it, two weeks of bookings
  ahead, timers running and usage counted in its hour. The same seed and `now` give the same rows.
- Idempotent: primary keys are uuid5 of the row's natural key (an email, an invoice number, an index
  within the seed), and rows go in with `INSERT ... ON CONFLICT DO NOTHING`: running it twice adds
  nothing the second time.
- Fast: every table is loaded with COPY into a temporary staging table, then one INSERT ... SELECT
  (see `shared.seeding.load`). `large` means 100,000 vault documents with embeddings and 1,000,000 billy
  usage rows.

Each schema app owns its demo data in `<app>/demo.py` (`seed(ctx)` and `reset(ctx)`), built with the
toolkit in `shared.seeding`; this module only orders the apps (their AppConfigs: `shared` first, since the
others build on it) and runs them. An app is seeded when it has models and a demo module.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from dataclasses import dataclass

from django.apps import apps as django_apps

from shared.apps_base import schema_apps
from shared.seeding import SeedContext, anchor
from tekupdb.db import partitions

# How far back the demo history reaches (about a year, plus a margin).
SEED_HISTORY_DAYS = 400

SIZES = ("small", "medium", "large")


@dataclass
class SeedResult:
    app: str
    inserted: dict[str, int]


def seedable_apps() -> list[str]:
    """Apps that have models and a demo module, in seeding order (dependencies first, from AppConfig)."""
    return [
        config.label
        for config in schema_apps()
        if list(config.get_models()) and importlib.util.find_spec(f"{config.name}.demo") is not None
    ]


def _module(label: str):
    return importlib.import_module(f"{django_apps.get_app_config(label).name}.demo")


def run_seed(
    *,
    size: str = "small",
    apps: list[str] | None = None,
    reset: bool = False,
    random_seed: int = 0,
    progress=None,
    now: dt.datetime | None = None,
) -> list[SeedResult]:
    """Seed the chosen apps (default: every seedable app); with `reset`, empty their demo data first.

    `now` (timezone-aware; default the current hour) is the moment the demo data is laid out around.
    """
    now = anchor(now)
    if size not in SIZES:
        raise ValueError(f"Unknown size {size!r}: choose one of {', '.join(SIZES)}.")
    available = seedable_apps()
    chosen = available if not apps else [label for label in available if label in apps]
    unknown = sorted(set(apps or []) - set(available))
    if unknown:
        raise ValueError(
            f"Cannot seed {', '.join(unknown)}: no models or no seeder yet. Seedable: {', '.join(available)}."
        )
    if reset:
        for label in reversed(chosen):
            _module(label).reset(
                SeedContext(app=label, size=size, random_seed=random_seed, progress=progress, now=now)
            )
    # The demo history reaches back a year: its months get their partitions before the rows are
    # COPYed (moving them out of the DEFAULT partition afterwards would write every row twice).
    months = partitions.months_between(now - dt.timedelta(days=SEED_HISTORY_DAYS), now)
    for table in partitions.partitioned_tables(schemas=chosen):
        partitions.ensure_partitions(table=table.key, months=months)
    results = []
    for label in chosen:
        ctx = SeedContext(app=label, size=size, random_seed=random_seed, progress=progress, now=now)
        _module(label).seed(ctx)
        results.append(SeedResult(app=label, inserted=dict(ctx.inserted)))
    for table in partitions.partitioned_tables(schemas=chosen):
        partitions.settle_default(table=table.key)  # anything dated outside that year
    return results
