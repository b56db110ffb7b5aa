"""Per-hour series for the dashboard's charts: one value per hour, hours without rows shown as zero."""

from __future__ import annotations

import datetime

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncHour

__all__ = ["hourly_totals"]


def hourly_totals(
    queryset: QuerySet, *, field: str, since: datetime.datetime, hours: int, value: str | None = None
) -> list[tuple[datetime.datetime, int]]:
    """(hour, total) for each of `hours` + 1 hours from the hour of `since`: the count of rows whose
    `field` falls in that hour, or the sum of their `value`; zero where there are none."""
    totals = dict(
        queryset.filter(**{f"{field}__gte": since})
        .annotate(hour=TruncHour(field))
        .values("hour")
        .annotate(total=Sum(value) if value else Count("pk"))
        .values_list("hour", "total")
    )
    start = since.replace(minute=0, second=0, microsecond=0)
    series = [start + datetime.timedelta(hours=i) for i in range(hours + 1)]
    return [(hour, int(totals.get(hour) or 0)) for hour in series]
