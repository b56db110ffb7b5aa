"""Analytics: daily metrics, one value per (date, metric)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from shared import validation as v

from ..models import Analytics


def track_metric(*, date: dt.date, metric: str, value: Decimal | int | float) -> Analytics:
    """Set the value of a daily metric: one upsert on (date, metric); the last value wins.

    A metric is a measurement, not money: a finite float is accepted and rounded to 4 decimals.

    Raises ValidationError keyed by the argument: a date that is not a date from 1900 through 2200, a
    metric name outside its column, a value that is not a finite number within numeric(18,4).
    """
    date = v.date(date, name="date")
    metric = v.model_field(Analytics, "metric", metric)
    number = v.decimal(value, name="value", max_digits=None, decimal_places=None, allow_float=True)
    number = v.decimal(
        number.quantize(Decimal("0.0001"), ROUND_HALF_UP) if abs(number) < Decimal("1e14") else number,
        name="value",
        max_digits=18,
        decimal_places=4,
    )
    entry = Analytics(date=date, metric=metric, value=number)
    v.full_clean(entry, names={"__all__": "metric"}, validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        Analytics.objects.bulk_create(
            [entry],
            update_conflicts=True,
            unique_fields=["date", "metric"],
            update_fields=["value", "updated_at"],
        )
    return Analytics.objects.get(date=date, metric=metric)
