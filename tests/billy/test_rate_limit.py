import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from billy.factories import OrganizationFactory, RateLimitFactory, UsageMetricFactory
from billy.models import RateLimit, UsageMetric
from billy.services import check_rate_limit, prune_history, rate_limit_window
from tests.support.concurrency import Worker, run_together


def test_windows_are_aligned_to_the_epoch():
    moment = datetime(2025, 3, 14, 10, 7, 30, tzinfo=UTC)

    assert rate_limit_window(moment=moment, window=timedelta(minutes=15)) == (
        datetime(2025, 3, 14, 10, 0, tzinfo=UTC),
        datetime(2025, 3, 14, 10, 15, tzinfo=UTC),
    )
    assert rate_limit_window(moment=moment, window=timedelta(hours=1))[0] == datetime(
        2025, 3, 14, 10, 0, tzinfo=UTC
    )
    # 1741946850 s since the epoch = 11 * 158358804 + 6
    assert rate_limit_window(moment=moment, window=timedelta(seconds=11))[0] == datetime(
        2025, 3, 14, 10, 7, 24, tzinfo=UTC
    )


def test_allows_exactly_the_limit_then_refuses_until_the_next_window(organization, clock):
    results = [check_rate_limit(organization=organization, endpoint="/invoices", limit=3) for _ in range(5)]

    assert [(r.allowed, r.remaining) for r in results] == [
        (True, 2),
        (True, 1),
        (True, 0),
        (False, 0),
        (False, 0),
    ]
    assert {r.reset_at for r in results} == {datetime(2025, 3, 14, 10, 15, tzinfo=UTC)}
    window = RateLimit.objects.get()
    assert window.request_count == 3  # refused calls are not counted
    assert window.window_start == datetime(2025, 3, 14, 10, 0, tzinfo=UTC)

    clock.set(datetime(2025, 3, 14, 10, 14, 59, 999999, tzinfo=UTC))
    assert not check_rate_limit(organization=organization, endpoint="/invoices", limit=3).allowed
    clock.advance(microseconds=1)
    fresh = check_rate_limit(organization=organization, endpoint="/invoices", limit=3)
    assert (fresh.allowed, fresh.remaining, fresh.reset_at) == (
        True,
        2,
        datetime(2025, 3, 14, 10, 30, tzinfo=UTC),
    )
    assert RateLimit.objects.count() == 2  # one row per window, not one per call


def test_calls_within_a_window_share_one_row(organization, clock):
    for _ in range(10):
        check_rate_limit(organization=organization, endpoint="/x")
        clock.advance(seconds=30)  # 10:07:30 .. 10:12:00, all in the 10:00 window

    assert list(RateLimit.objects.values_list("request_count", flat=True)) == [10]


def test_keys_are_counted_apart(organization):
    other = OrganizationFactory()
    check_rate_limit(organization=organization, endpoint="/a", limit=1)

    assert not check_rate_limit(organization=organization, endpoint="/a", limit=1).allowed
    assert check_rate_limit(organization=organization, endpoint="/b", limit=1).allowed
    assert check_rate_limit(organization=other, endpoint="/a", limit=1).allowed


def test_a_lowered_limit_applies_at_once(organization):
    for _ in range(5):
        check_rate_limit(organization=organization, endpoint="/a", limit=10)

    assert not check_rate_limit(organization=organization, endpoint="/a", limit=5).allowed
    assert check_rate_limit(organization=organization, endpoint="/a", limit=6).remaining == 0


def test_check_is_one_statement(organization, django_assert_num_queries):
    with django_assert_num_queries(1):
        check_rate_limit(organization=organization, endpoint="/a")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"limit": 0}, "limit must be an integer >= 1"),
        ({"limit": True}, "limit must be an integer >= 1"),
        ({"limit": 2.5}, "limit must be an integer >= 1"),
        ({"window": timedelta(0)}, "window must be a positive timedelta"),
        ({"window": 900}, "window must be a positive timedelta"),
        ({"window": timedelta(milliseconds=500)}, "window must be a positive timedelta from 0:00:01"),
        ({"endpoint": ""}, "endpoint must be a non-empty string"),
    ],
)
def test_check_rate_limit_refuses_bad_input(organization, fields, message):
    with pytest.raises(ValidationError, match=message):
        check_rate_limit(**{"organization": organization, "endpoint": "/a", **fields})
    assert not RateLimit.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_callers_on_one_key_get_exactly_the_limit():
    organization = OrganizationFactory()
    threads_n, calls, limit = 8, 40, 100

    def caller() -> list[datetime]:
        allowed = []
        for _ in range(calls):
            result = check_rate_limit(
                organization=organization, endpoint="/hot", limit=limit, window=timedelta(days=1)
            )
            if result.allowed:
                allowed.append(result.reset_at)
        return allowed

    allowed = [reset_at for batch in run_together([caller] * threads_n) for reset_at in batch]

    # Per window (a run crossing midnight UTC has two): exactly the limit, never more.
    per_window = {reset_at: allowed.count(reset_at) for reset_at in set(allowed)}
    assert all(count == limit for count in per_window.values())
    assert sorted(RateLimit.objects.values_list("request_count", flat=True)) == [limit] * len(per_window)


def test_prune_removes_ended_windows_and_usage_hours_older_than_the_age(organization, clock):
    now = clock.now  # 2025-03-14 10:07:30 UTC
    old = RateLimitFactory(
        organization=organization,
        window_start=now - timedelta(days=3),
        window_end=now - timedelta(days=3, minutes=-15),
    )
    long_open = RateLimitFactory(  # a 7-day window that started 3 days ago is still counting
        organization=organization,
        endpoint="/weekly",
        window_start=now - timedelta(days=3),
        window_end=now + timedelta(days=4),
    )
    recent = RateLimitFactory(organization=organization, window_start=now - timedelta(hours=1))
    UsageMetricFactory(organization=organization, date=now.date() - timedelta(days=2), hour=23)
    UsageMetricFactory(organization=organization, date=now.date() - timedelta(days=1), hour=8)  # ended 09:00
    UsageMetricFactory(organization=organization, date=now.date() - timedelta(days=1), hour=9)  # ends 10:00
    UsageMetricFactory(organization=organization, date=now.date() - timedelta(days=1), hour=10)  # ends 11:00

    assert prune_history(older_than=timedelta(days=1), dry_run=True) == {"rate_limits": 1, "usage_metrics": 3}
    assert RateLimit.objects.count() == 3
    assert prune_history(older_than=timedelta(days=1)) == {"rate_limits": 1, "usage_metrics": 3}

    assert set(RateLimit.objects.all()) == {long_open, recent}
    assert not RateLimit.objects.filter(pk=old.pk).exists()
    assert list(UsageMetric.objects.values_list("hour", flat=True)) == [10]
    with pytest.raises(ValidationError, match="older_than must be a positive timedelta"):
        prune_history(older_than=timedelta(0))


@pytest.mark.django_db(transaction=True)
def test_a_full_window_is_refused_without_waiting_for_the_row_lock():
    organization = OrganizationFactory()
    check_rate_limit(organization=organization, endpoint="/full", limit=1)
    locked, release = threading.Event(), threading.Event()

    def holder() -> None:
        with transaction.atomic():
            RateLimit.objects.select_for_update().get(endpoint="/full")
            locked.set()
            release.wait(timeout=30)

    thread = Worker(holder)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")  # a check that waited for the lock would fail
        try:
            refused = check_rate_limit(organization=organization, endpoint="/full", limit=1)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    finally:
        release.set()
        thread.outcome()

    assert not refused.allowed
    assert RateLimit.objects.get(endpoint="/full").request_count == 1
