"""Usage metrics: one row per (organization, UTC date, UTC hour, tool) that counts the tool's calls.

Usage rows are keyed by the UTC date and UTC hour (one time zone, no daylight-saving overlap).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from shared import validation as v

from ..models import Organization, UsageMetric
from .validation import _aware, _organization, _text

# A call that took longer than this many milliseconds (a week) is a clock error, not a duration.
MAX_DURATION_MS = 7 * 24 * 3600 * 1000

_TRACK_USAGE_SQL = """
INSERT INTO {table} AS m (
    organization_id, date, hour, tool_name, call_count, success_count, error_count,
    duration_sum_ms, duration_count, avg_duration_ms, cache_hits, cache_lookups, cache_hit_rate
) VALUES (
    %(organization)s, %(date)s, %(hour)s, %(tool_name)s, 1, %(success)s, 1 - %(success)s,
    %(duration)s, %(timed)s, %(average)s, %(hit)s, %(lookup)s, %(rate)s
)
ON CONFLICT (organization_id, date, hour, tool_name) DO UPDATE SET
    call_count = m.call_count + 1,
    success_count = m.success_count + EXCLUDED.success_count,
    error_count = m.error_count + EXCLUDED.error_count,
    duration_sum_ms = m.duration_sum_ms + EXCLUDED.duration_sum_ms,
    duration_count = m.duration_count + EXCLUDED.duration_count,
    avg_duration_ms = CASE WHEN m.duration_count + EXCLUDED.duration_count > 0
        THEN (m.duration_sum_ms + EXCLUDED.duration_sum_ms) / (m.duration_count + EXCLUDED.duration_count)
        ELSE m.avg_duration_ms END,
    cache_hits = m.cache_hits + EXCLUDED.cache_hits,
    cache_lookups = m.cache_lookups + EXCLUDED.cache_lookups,
    cache_hit_rate = CASE WHEN m.cache_lookups + EXCLUDED.cache_lookups > 0
        THEN round(100.0 * (m.cache_hits + EXCLUDED.cache_hits)
                   / (m.cache_lookups + EXCLUDED.cache_lookups), 2)
        ELSE m.cache_hit_rate END,
    updated_at = now()
"""


def _usage_slot(moment: datetime) -> tuple[date, int]:
    """The (UTC date, UTC hour) under which a call at `moment` is counted."""
    moment = moment.astimezone(UTC)
    return moment.date(), moment.hour


def track_usage(
    *,
    organization: Organization,
    tool_name: str,
    success: bool,
    duration_ms: float | None = None,
    cache_hit: bool | None = None,
) -> None:
    """Count one tool call in the current UTC hour's row of (organization, UTC date, UTC hour, tool).

    One atomic upsert adds to the counters and to the running sums behind `avg_duration_ms` (mean of the
    calls that gave a duration) and `cache_hit_rate` (percentage of the calls that gave `cache_hit`), and
    recomputes both from the sums, so concurrent callers never lose a call or skew the averages.

    Raises ValidationError keyed by the argument: not a saved Organization, a tool name outside its
    column, success or cache_hit not a bool, a duration that is not a finite number of ms from 0 to a week.
    """
    organization = _organization(organization)
    tool_name = _text("tool_name", tool_name)
    if not isinstance(success, bool):
        raise ValidationError({"success": "success must be True or False."})
    if duration_ms is not None:
        duration_ms = v.number(duration_ms, name="duration_ms", min_value=0, max_value=MAX_DURATION_MS)
    if cache_hit is not None and not isinstance(cache_hit, bool):
        raise ValidationError({"cache_hit": "cache_hit must be True, False or None."})
    day, hour = _usage_slot(timezone.now())
    hit = int(bool(cache_hit))
    params: dict[str, Any] = {
        "organization": organization.pk,
        "date": day,
        "hour": hour,
        "tool_name": tool_name,
        "success": int(success),
        "duration": duration_ms or 0.0,
        "timed": int(duration_ms is not None),
        "average": duration_ms,
        "hit": hit,
        "lookup": int(cache_hit is not None),
        "rate": None if cache_hit is None else 100 * hit,
    }
    table = connection.ops.quote_name(UsageMetric._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_TRACK_USAGE_SQL.format(table=table), params)


def _slot_bound(field: str, value: Any, *, upper: bool) -> Q:
    if isinstance(value, datetime):
        day, hour = _usage_slot(_aware(field, value))
        if upper:
            return Q(date__lt=day) | Q(date=day, hour__lte=hour)
        return Q(date__gt=day) | Q(date=day, hour__gte=hour)
    if isinstance(value, date):
        value = v.date(value, name=field)
        return Q(date__lte=value) if upper else Q(date__gte=value)
    raise ValidationError({field: f"{field} must be a date or a timezone-aware datetime."})


def get_usage_metrics(
    *, organization: Organization, start: date | datetime, end: date | datetime
) -> QuerySet:
    """Usage rows of the organization from start to end inclusive, oldest first.

    Dates are UTC dates (whole days); a datetime selects the UTC hour it falls in.

    Raises ValidationError keyed by the argument: not a saved Organization, a start or end that is not
    a date or an aware datetime from 1900 through 2200, a start after the end.
    """
    organization = _organization(organization)
    lower = _slot_bound("start", start, upper=False)
    upper = _slot_bound("end", end, upper=True)
    if _slot_of(start, upper=False) > _slot_of(end, upper=True):
        raise ValidationError({"start": "start is after end."})
    return (
        UsageMetric.objects.filter(organization=organization)
        .filter(lower)
        .filter(upper)
        .order_by("date", "hour", "tool_name")
    )


def _slot_of(value: date | datetime, *, upper: bool) -> tuple[date, int]:
    return _usage_slot(value) if isinstance(value, datetime) else (value, 23 if upper else 0)


def get_daily_calls(*, organization: Organization, days: int = 30) -> list[tuple[date, int, int]]:
    """(UTC date, calls, errors) for each of the last `days` UTC days up to today, zero-filled.

    Raises ValidationError keyed by the argument: not a saved Organization, days outside 1..366.
    """
    organization = _organization(organization)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        raise ValidationError({"days": f"days must be an integer from 1 to 366, got {v.shown(days)}."})
    today = _usage_slot(timezone.now())[0]
    first = today - timedelta(days=days - 1)
    totals = {
        row["date"]: (row["calls"], row["errors"])
        for row in UsageMetric.objects.filter(organization=organization, date__gte=first, date__lte=today)
        .values("date")
        .annotate(calls=Sum("call_count"), errors=Sum("error_count"))
        .order_by()
    }
    return [(first + timedelta(days=n), *totals.get(first + timedelta(days=n), (0, 0))) for n in range(days)]
