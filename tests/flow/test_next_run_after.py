"""flow.services.next_run_after: the next run of a cron or interval schedule, at its boundaries."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from flow.services import next_run_after

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
AFTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
NAIVE = AFTER.replace(tzinfo=None)  # on purpose: what the function refuses


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_cron_fields_are_read_in_the_schedule_zone_and_the_answer_is_in_that_zone():
    upcoming = next_run_after(after=AFTER, cron_expression="0 9 * * *")

    assert upcoming == utc(2025, 1, 16, 8, 0)  # 09:00 CET
    assert upcoming.tzinfo == COPENHAGEN and upcoming.hour == 9


def test_cron_keeps_the_local_hour_across_the_spring_change():
    # 09:00 on Saturday is 08:00 UTC (CET); on Sunday, the first day of summer time, it is 07:00 UTC.
    saturday = next_run_after(after=utc(2025, 3, 29, 7, 0), cron_expression="0 9 * * *")
    sunday = next_run_after(after=saturday, cron_expression="0 9 * * *")

    assert (saturday, sunday) == (utc(2025, 3, 29, 8, 0), utc(2025, 3, 30, 7, 0))
    assert (saturday.hour, sunday.hour) == (9, 9)


def test_the_next_cron_run_is_strictly_after_the_given_instant():
    at_nine = datetime(2025, 1, 16, 9, 0, tzinfo=COPENHAGEN)

    assert next_run_after(after=at_nine, cron_expression="0 9 * * *") == at_nine + timedelta(days=1)
    just_before = at_nine - timedelta(microseconds=1)
    assert next_run_after(after=just_before, cron_expression="0 9 * * *") == at_nine


def test_another_zone_moves_the_cron_run():
    upcoming = next_run_after(after=AFTER, cron_expression="0 9 * * *", timezone_name="America/New_York")

    assert upcoming == utc(2025, 1, 15, 14, 0)  # 09:00 EST the same day: 12:00 UTC is 07:00 there
    assert upcoming.tzinfo == ZoneInfo("America/New_York")


def test_a_future_start_date_on_the_cron_schedule_is_itself_the_first_run():
    start = datetime(2025, 2, 1, 9, 0, tzinfo=COPENHAGEN)

    assert next_run_after(after=AFTER, cron_expression="0 9 * * *", start_date=start) == start
    off_schedule = start + timedelta(minutes=1)
    assert next_run_after(
        after=AFTER, cron_expression="0 9 * * *", start_date=off_schedule
    ) == start + timedelta(days=1)


def test_a_past_start_date_changes_nothing():
    past = AFTER - timedelta(days=30)

    assert next_run_after(after=AFTER, cron_expression="0 9 * * *", start_date=past) == utc(2025, 1, 16, 8)
    assert next_run_after(after=AFTER, interval_minutes=15, start_date=past) == AFTER + timedelta(minutes=15)


def test_an_interval_runs_that_long_after_or_at_a_future_start():
    assert next_run_after(after=AFTER, interval_minutes=1) == AFTER + timedelta(minutes=1)
    assert next_run_after(after=AFTER, interval_minutes=90) == AFTER + timedelta(minutes=90)
    start = AFTER + timedelta(days=3)
    assert next_run_after(after=AFTER, interval_minutes=90, start_date=start) == start
    # a start at `after` itself is not in the future: the interval counts from now
    assert next_run_after(after=AFTER, interval_minutes=90, start_date=AFTER) == AFTER + timedelta(minutes=90)


def test_an_interval_answer_is_in_the_schedule_zone():
    upcoming = next_run_after(after=AFTER, interval_minutes=60, timezone_name="Asia/Tokyo")

    assert upcoming == AFTER + timedelta(hours=1) and upcoming.tzinfo == ZoneInfo("Asia/Tokyo")


def test_a_run_on_the_end_date_happens_and_one_past_it_does_not():
    run, second = utc(2025, 1, 16, 8, 0), timedelta(seconds=1)
    half_hour = AFTER + timedelta(minutes=30)

    assert next_run_after(after=AFTER, cron_expression="0 9 * * *", end_date=run) == run
    assert next_run_after(after=AFTER, cron_expression="0 9 * * *", end_date=run - second) is None
    assert next_run_after(after=AFTER, interval_minutes=30, end_date=half_hour) == half_hour
    assert next_run_after(after=AFTER, interval_minutes=30, end_date=half_hour - second) is None


def test_a_run_beyond_2200_is_never():
    late = utc(2200, 12, 31, 23, 30)

    assert next_run_after(after=late, interval_minutes=29) == late + timedelta(minutes=29)
    assert next_run_after(after=late, interval_minutes=30) is None  # 2201-01-01 00:00, out of range
    assert next_run_after(after=late, interval_minutes=2**31 - 1) is None  # thousands of years on
    assert next_run_after(after=late, cron_expression="0 9 * * *") is None


def test_cron_wins_when_both_are_given():
    assert next_run_after(after=AFTER, cron_expression="0 9 * * *", interval_minutes=5) == utc(2025, 1, 16, 8)


@pytest.mark.parametrize(
    ("arguments", "key", "message"),
    [
        ({"after": NAIVE}, "after", "not a naive one"),
        ({"after": "2025-01-15T12:00Z"}, "after", "must be a timezone-aware datetime"),
        ({"after": utc(1899, 12, 31, 23, 0)}, "after", "from the year 1900 through 2200"),
        ({"start_date": NAIVE}, "start_date", "not a naive one"),
        ({"end_date": NAIVE}, "end_date", "not a naive one"),
        ({"cron_expression": "0 9 * *"}, "cron_expression", "it has 4 fields"),
        ({"cron_expression": "0 9 30 2 *"}, "cron_expression", "never matches a date"),
        ({"cron_expression": "61 9 * * *"}, "cron_expression", "not a valid cron expression"),
        ({"cron_expression": "  "}, "cron_expression", "non-empty string"),
        ({"interval_minutes": None}, "interval_minutes", "must be an integer >= 1"),
        ({"interval_minutes": 0}, "interval_minutes", "got 0"),
        ({"interval_minutes": 1.5}, "interval_minutes", "got a float"),
        ({"interval_minutes": True}, "interval_minutes", "must be an integer"),
        ({"interval_minutes": 2**31}, "interval_minutes", "must be an integer"),
        ({"interval_minutes": 5, "timezone_name": "Europe/Aarhus"}, "timezone_name", "not a known time zone"),
        ({"interval_minutes": 5, "timezone_name": "../etc/passwd"}, "timezone_name", "not a known time zone"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(arguments, key, message):
    arguments = {"after": AFTER, **arguments}
    if "cron_expression" not in arguments and "interval_minutes" not in arguments:
        arguments["interval_minutes"] = 5

    with pytest.raises(ValidationError) as refused:
        next_run_after(**arguments)

    assert list(refused.value.message_dict) == [key]
    assert message in refused.value.message_dict[key][0]
