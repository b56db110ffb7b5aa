"""Fill the database with realistic, Danish-flavoured demo data for every app that has models.

Deterministic for a given --random-seed, and idempotent: running it twice adds nothing the second
time. The data is laid out around the current hour (or `--now`): a year of history, today's work
under way and two weeks of bookings ahead. `manage.py start` runs `seed --size small` on an empty
database; `large` (100,000 vault documents with embeddings, 1,000,000 billy usage rows) is for
benchmarks and takes minutes.
"""

import argparse
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from operations.seeding import SIZES, run_seed
from shared.commands import acting_as_email, add_as_argument
from shared.progress import ProgressBar


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date and time: {text!r}") from exc
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Seed demo data (small, medium or large) for every app with models, laid out around the current "
        "hour; safe to run twice. Never against production: --reset deletes data. Exit codes: 0 seeded; "
        "1 refused (an app that cannot be seeded) or failed; 2 usage error (a size or --now it cannot read)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=SIZES,
            default="small",
            help="One of %(choices)s (default %(default)s). small: a few hundred rows per app, what start "
            "seeds; medium: thousands; large: 100,000 vault documents with embeddings and 1,000,000 billy "
            "usage rows, for benchmarks (minutes).",
        )
        parser.add_argument(
            "--apps", nargs="+", metavar="APP", help="Only these apps (default: all seedable)."
        )
        parser.add_argument("--reset", action="store_true", help="Remove the apps' demo data first.")
        parser.add_argument(
            "--random-seed",
            type=int,
            default=0,
            dest="random_seed",
            metavar="N",
            help="Seed of the random choices (default 0): the same N and --now give the same rows.",
        )
        parser.add_argument(
            "--now",
            type=_moment,
            metavar="ISO-DATETIME",
            help="Lay the data out around this moment instead of the current hour (e.g. 2026-12-01T09:00; "
            "without a zone, the site's time zone). The same --random-seed and --now give the same rows.",
        )
        add_as_argument(parser)

    def handle(self, *args, size, apps, reset, random_seed, now, verbosity, **options):
        bars: dict[str, ProgressBar] = {}

        def progress(label, done, total):
            if verbosity < 1:
                return
            bar = bars.get(label)
            if bar is None:
                bar = bars[label] = ProgressBar(self.stdout, total, f"{label:<28}")
            bar.total = max(total, 1)
            bar.update(done)

        started = time.monotonic()
        try:
            with acting_as_email(options.get("as_email")):
                results = run_seed(
                    size=size, apps=apps, reset=reset, random_seed=random_seed, progress=progress, now=now
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity < 1:
            return
        inserted = sum(sum(result.inserted.values()) for result in results)
        names = ", ".join(result.app for result in results) or "nothing (no app has models yet)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {names} ({size}, seed {random_seed}): {inserted} new rows "
                f"in {time.monotonic() - started:.1f} s."
            )
        )
        if verbosity >= 2:
            for result in results:
                for table, count in result.inserted.items():
                    self.stdout.write(f"  {table}: {count}")
