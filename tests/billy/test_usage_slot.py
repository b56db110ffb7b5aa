"""billy.services._usage_slot: the (UTC date, UTC hour) row that a tool call at a given moment counts in.

The function is private; the public functions that use it (track_usage, get_usage_metrics,
get_daily_calls, prune_history) are tested through it in test_usage.py and test_rate_limit.py. These
tests pin the rule itself at its boundaries: midnight, the hour's last microsecond, other zones, and
the hour that happens twice when summer time ends.
"""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from billy.models import UsageMetric
from billy.services import _usage_slot, get_usage_metrics, track_usage

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
INDIA = timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    ("moment", "slot"),
    [
        (datetime(2025, 3, 14, 10, 7, 30, tzinfo=UTC), (date(2025, 3, 14), 10)),
        (datetime(2025, 3, 14, 0, 0, tzinfo=UTC), (date(2025, 3, 14), 0)),
        (datetime(2025, 3, 14, 23, 59, 59, 999999, tzinfo=UTC), (date(2025, 3, 14), 23)),
        (datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), (date(2024, 12, 31), 23)),
        (datetime(2024, 2, 29, 12, 0, tzinfo=UTC), (date(2024, 2, 29), 12)),
        # A Copenhagen morning before 01:00 (02:00 in summer) is still yesterday's evening in UTC.
        (datetime(2025, 7, 1, 0, 30, tzinfo=COPENHAGEN), (date(2025, 6, 30), 22)),
        (datetime(2025, 1, 1, 0, 30, tzinfo=COPENHAGEN), (date(2024, 12, 31), 23)),
        (datetime(2025, 1, 1, 1, 0, tzinfo=COPENHAGEN), (date(2025, 1, 1), 0)),
        # West of UTC the evening is already tomorrow; east of it the early morning is still yesterday.
        (datetime(2025, 3, 14, 20, 0, tzinfo=NEW_YORK_WINTER), (date(2025, 3, 15), 1)),
        (datetime(2025, 3, 14, 5, 0, tzinfo=INDIA), (date(2025, 3, 13), 23)),
    ],
)
def test_a_moment_counts_in_its_utc_date_and_hour(moment, slot):
    assert _usage_slot(moment) == slot


def test_the_hour_that_happens_twice_in_copenhagen_is_two_utc_slots():
    # 26 October 2025: the clocks go back from 03:00 CEST to 02:00 CET, so 02:30 happens twice.
    first = datetime(2025, 10, 26, 2, 30, tzinfo=COPENHAGEN, fold=0)
    second = datetime(2025, 10, 26, 2, 30, tzinfo=COPENHAGEN, fold=1)

    assert (_usage_slot(first), _usage_slot(second)) == ((date(2025, 10, 26), 0), (date(2025, 10, 26), 1))


def test_calls_either_side_of_utc_midnight_count_in_two_rows_that_a_day_query_separates(organization, clock):
    clock.set(datetime(2025, 3, 14, 23, 59, 59, 999999, tzinfo=UTC))
    track_usage(organization=organization, tool_name="list_invoices", success=True)
    clock.advance(microseconds=1)
    track_usage(organization=organization, tool_name="list_invoices", success=True)

    rows = UsageMetric.objects.order_by("date", "hour").values_list("date", "hour", "call_count")
    assert list(rows) == [(date(2025, 3, 14), 23, 1), (date(2025, 3, 15), 0, 1)]
    by_hour = get_usage_metrics(organization=organization, start=clock.now, end=clock.now)
    assert [(row.date, row.hour) for row in by_hour] == [(date(2025, 3, 15), 0)]
