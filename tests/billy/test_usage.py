from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from billy.factories import OrganizationFactory, UsageMetricFactory
from billy.models import UsageMetric
from billy.services import get_daily_calls, get_usage_metrics, track_usage
from tests.support.concurrency import run_together


def test_track_usage_counts_in_the_utc_hour(organization, clock):
    # 23:30 UTC is already the next day (00:30 or 01:30) in Copenhagen: the row is the UTC one.
    clock.set(datetime(2025, 6, 30, 23, 30, tzinfo=UTC))

    track_usage(organization=organization, tool_name="list_invoices", success=True, duration_ms=120)

    row = UsageMetric.objects.get()
    assert (row.date, row.hour, row.tool_name) == (date(2025, 6, 30), 23, "list_invoices")
    assert (row.call_count, row.success_count, row.error_count) == (1, 1, 0)
    assert row.avg_duration_ms == 120 and row.cache_hit_rate is None


def test_track_usage_keeps_a_true_average_and_hit_rate(organization, clock):
    for duration, success, hit in [
        (100, True, True),
        (200, False, False),
        (300, True, True),
        (None, True, None),
    ]:
        track_usage(
            organization=organization, tool_name="t", success=success, duration_ms=duration, cache_hit=hit
        )

    row = UsageMetric.objects.get()
    assert (row.call_count, row.success_count, row.error_count) == (4, 3, 1)
    assert row.avg_duration_ms == 200  # the mean of the timed calls, not the last one (the original's bug)
    assert row.cache_hit_rate == Decimal("66.67")  # 2 hits of 3 lookups; the untracked call is not a miss
    assert (row.duration_sum_ms, row.duration_count, row.cache_hits, row.cache_lookups) == (600, 3, 2, 3)


def test_track_usage_starts_a_new_row_each_hour_and_tool(organization, clock):
    track_usage(organization=organization, tool_name="a", success=True)
    track_usage(organization=organization, tool_name="b", success=True)
    clock.advance(hours=1)
    track_usage(organization=organization, tool_name="a", success=True)

    assert sorted(UsageMetric.objects.values_list("hour", "tool_name", "call_count")) == [
        (10, "a", 1),
        (10, "b", 1),
        (11, "a", 1),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tool_name": ""}, "tool_name must be a non-empty string"),
        ({"success": 1}, "success must be True or False"),
        ({"duration_ms": -5}, "duration_ms must be from 0 to"),
        ({"duration_ms": "fast"}, "duration_ms must be a number"),
        ({"cache_hit": "yes"}, "cache_hit must be True, False or None"),
        ({"organization": None}, "organization must be a saved Organization"),
    ],
)
def test_track_usage_refuses_bad_input(organization, fields, message):
    with pytest.raises(ValidationError, match=message):
        track_usage(**{"organization": organization, "tool_name": "t", "success": True, **fields})
    assert not UsageMetric.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_lose_no_call_and_keep_the_average_true():
    organization = OrganizationFactory()
    threads_n, calls = 8, 25

    def caller(n: int) -> None:
        for i in range(calls):
            track_usage(
                organization=organization,
                tool_name="list_invoices",
                success=i % 5 != 0,
                duration_ms=n * 10 + i,
                cache_hit=i % 2 == 0,
            )

    run_together([lambda n=n: caller(n) for n in range(threads_n)])

    rows = list(UsageMetric.objects.filter(organization=organization))
    durations = [n * 10 + i for n in range(threads_n) for i in range(calls)]
    assert sum(row.call_count for row in rows) == threads_n * calls
    assert sum(row.error_count for row in rows) == threads_n * 5
    assert sum(row.duration_sum_ms for row in rows) == sum(durations)
    if len(rows) == 1:  # the usual case: the run did not cross an hour
        assert rows[0].avg_duration_ms == pytest.approx(sum(durations) / len(durations))
        assert rows[0].cache_hit_rate == Decimal("52.00")  # 13 of 25 per caller


def test_get_usage_metrics_selects_whole_utc_days_or_hours(organization, clock):
    for day, hour in [(1, 23), (2, 0), (2, 12), (3, 0), (4, 5)]:
        UsageMetricFactory(organization=organization, date=date(2025, 3, day), hour=hour)
    UsageMetricFactory(date=date(2025, 3, 2), hour=1)  # another organization

    by_day = get_usage_metrics(organization=organization, start=date(2025, 3, 2), end=date(2025, 3, 3))
    by_hour = get_usage_metrics(
        organization=organization,
        start=datetime(2025, 3, 1, 23, 59, tzinfo=UTC),
        end=datetime(2025, 3, 2, 12, 0, tzinfo=UTC),
    )

    assert [(row.date.day, row.hour) for row in by_day] == [(2, 0), (2, 12), (3, 0)]
    assert [(row.date.day, row.hour) for row in by_hour] == [(1, 23), (2, 0), (2, 12)]


def test_get_usage_metrics_refuses_a_start_after_the_end_or_a_bad_bound(organization):
    with pytest.raises(ValidationError, match="start is after end"):
        get_usage_metrics(organization=organization, start=date(2025, 3, 2), end=date(2025, 3, 1))
    with pytest.raises(ValidationError, match="end must be a date or a timezone-aware datetime"):
        get_usage_metrics(organization=organization, start=date(2025, 3, 2), end="2025-03-03")
    with pytest.raises(ValidationError, match="start must be a timezone-aware datetime"):
        get_usage_metrics(organization=organization, start=datetime(2025, 3, 2), end=date(2025, 3, 3))  # noqa: DTZ001


def test_get_daily_calls_sums_hours_into_utc_days_and_fills_gaps(organization, clock):
    today = clock.now.date()
    UsageMetricFactory(organization=organization, date=today, hour=1, call_count=3, error_count=1)
    UsageMetricFactory(organization=organization, date=today, hour=9, tool_name="other", call_count=4)
    UsageMetricFactory(organization=organization, date=today - timedelta(days=2), hour=0, call_count=5)

    assert get_daily_calls(organization=organization, days=3) == [
        (today - timedelta(days=2), 5, 0),
        (today - timedelta(days=1), 0, 0),
        (today, 7, 1),
    ]
    with pytest.raises(ValidationError, match="days must be an integer"):
        get_daily_calls(organization=organization, days=0)


def test_plain_sql_insert_of_the_listed_columns_gets_zero_counters(organization):
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO "billy"."usage_metrics" (organization_id, date, hour, tool_name)
               VALUES (%s, '2025-03-14', 3, 'sql')""",
            [organization.pk],
        )

    row = UsageMetric.objects.get()
    assert (row.call_count, row.success_count, row.error_count, row.duration_count) == (0, 0, 0, 0)
