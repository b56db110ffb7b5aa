"""Rate limits in aligned fixed windows per (organization, endpoint), and the traffic they counted.

`requests_per_hour` and `busiest_endpoints` sum the limiter's windows: the admin dashboard's traffic figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from shared import validation as v
from shared.timeseries import hourly_totals

from ..models import Organization, RateLimit
from .validation import _aware, _organization, _text

# A rate-limit window longer than this is a mistake.
MAX_WINDOW = timedelta(days=366)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class RateLimitResult:
    """Whether this call may proceed, how many more the window allows, and when the window ends."""

    allowed: bool
    remaining: int
    reset_at: datetime
    limit: int


def rate_limit_window(*, moment: datetime, window: timedelta) -> tuple[datetime, datetime]:
    """The aligned fixed window holding `moment`: start = floor(moment / window) * window (from the epoch).

    Raises ValidationError keyed by the argument: a naive or out-of-range moment, a window not from one
    second to 366 days.
    """
    return _window_of(_aware("moment", moment), _window(window))


def _window(window: Any) -> timedelta:
    return v.duration(window, name="window", min_value=timedelta(seconds=1), max_value=MAX_WINDOW)


def _window_of(moment: datetime, window: timedelta) -> tuple[datetime, datetime]:
    width = window // _MICROSECOND
    start = _EPOCH + timedelta(microseconds=((moment - _EPOCH) // _MICROSECOND) // width * width)
    return start, start + window


# The NOT EXISTS read only makes a refusal cheap: once a window is full it is refused without taking
# the row lock (and without a transaction id, so without a WAL flush at commit). Counts only grow within
# a window, so a full window seen by that read is full for the statement too. What decides an allowed
# call is ON CONFLICT … WHERE under the row lock: concurrent callers queue there and see each other's
# increments, so never more than `limit` are counted.
_RATE_LIMIT_SQL = """
INSERT INTO {table} AS r (organization_id, endpoint, window_start, window_end, request_count)
SELECT %(organization)s, %(endpoint)s, %(start)s, %(end)s, 1
WHERE NOT EXISTS (
    SELECT 1 FROM {table}
    WHERE organization_id = %(organization)s AND endpoint = %(endpoint)s AND window_start = %(start)s
      AND request_count >= %(limit)s
)
ON CONFLICT (organization_id, endpoint, window_start)
DO UPDATE SET request_count = r.request_count + 1, updated_at = now()
WHERE r.request_count < %(limit)s
RETURNING request_count
"""


def check_rate_limit(
    *,
    organization: Organization,
    endpoint: str,
    limit: int = 100,
    window: timedelta = timedelta(minutes=15),
) -> RateLimitResult:
    """Count one call of `endpoint` in the current aligned window and say whether it is allowed.

    One statement inserts the window's row or adds one to its count only while the count is below
    `limit`; no returned row means the window is full. Row locking makes concurrent callers queue on
    the row, so exactly `limit` calls per window are allowed, never more. A refused call is not counted.

    Raises ValidationError keyed by the argument: not a saved Organization, an endpoint outside its
    column, a limit outside 1..2^31-1, a window not from one second to 366 days.
    """
    organization = _organization(organization)
    endpoint = _text("endpoint", endpoint)
    limit = v.integer(limit, name="limit", min_value=1)
    window = _window(window)
    start, end = _window_of(timezone.now(), window)
    table = connection.ops.quote_name(RateLimit._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            _RATE_LIMIT_SQL.format(table=table),
            {
                "organization": organization.pk,
                "endpoint": endpoint,
                "start": start,
                "end": end,
                "limit": limit,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return RateLimitResult(allowed=False, remaining=0, reset_at=end, limit=limit)
    return RateLimitResult(allowed=True, remaining=limit - row[0], reset_at=end, limit=limit)


def requests_per_hour(*, since: datetime, hours: int = 24) -> list[tuple[datetime, int]]:
    """Requests counted by the rate limiter per hour, for `hours` + 1 hours from the hour of `since`
    (every organization and endpoint together; hours without requests are 0).

    Raises ValidationError keyed by the argument: a since that is not a timezone-aware datetime, hours
    outside 1-744 (a month).
    """
    since = v.aware_datetime(since, name="since")
    hours = v.integer(hours, name="hours", min_value=1, max_value=744)
    return hourly_totals(
        RateLimit.objects.all(), field="window_start", since=since, hours=hours, value="request_count"
    )


def busiest_endpoints(*, since: datetime, limit: int = 5) -> list[dict[str, Any]]:
    """The (organization, endpoint) pairs with the most requests since `since`, most first:
    [{"organization__name", "endpoint", "requests"}, …], at most `limit`.

    Raises ValidationError keyed by the argument: a since that is not a timezone-aware datetime, a
    limit outside 1-100.
    """
    since = v.aware_datetime(since, name="since")
    limit = v.integer(limit, name="limit", min_value=1, max_value=100)
    busiest = (
        RateLimit.objects.filter(window_start__gte=since)
        .values("organization__name", "endpoint")
        .annotate(requests=Sum("request_count"))
        .order_by("-requests")[:limit]
    )
    return [dict(row) for row in busiest]
