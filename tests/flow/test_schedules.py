from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from flow import services
from flow.factories import WorkflowFactory
from flow.models import Schedule
from tests.support.clock import freeze_clock

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@pytest.fixture
def clock(monkeypatch):
    """The services' clock (django.utils.timezone.now), stopped; each test sets the instant it needs."""
    return freeze_clock(monkeypatch, datetime(2025, 5, 1, 10, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("now", "expected_utc"),
    [
        # 09:00 in Copenhagen is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST).
        (datetime(2025, 1, 15, 12, 0, tzinfo=UTC), datetime(2025, 1, 16, 8, 0, tzinfo=UTC)),
        (datetime(2025, 7, 15, 12, 0, tzinfo=UTC), datetime(2025, 7, 16, 7, 0, tzinfo=UTC)),
        # Across the spring change: Saturday 29 March is CET, Monday 31 March CEST.
        (datetime(2025, 3, 29, 12, 0, tzinfo=UTC), datetime(2025, 3, 30, 7, 0, tzinfo=UTC)),
    ],
)
def test_cron_next_run_is_computed_in_the_schedule_time_zone(db, clock, now, expected_utc):
    clock.set(now)

    schedule = services.create_schedule(
        workflow=WorkflowFactory(), name="Morgen", cron_expression="0 9 * * *"
    )

    stored = Schedule.objects.get(pk=schedule.pk)
    assert stored.next_run == expected_utc
    assert stored.next_run.astimezone(COPENHAGEN).hour == 9
    assert (stored.timezone, stored.cron_expression, stored.interval_minutes) == (
        "Europe/Copenhagen",
        "0 9 * * *",
        None,
    )


def test_another_time_zone_moves_the_run(db, clock):
    clock.set(datetime(2025, 1, 15, 12, 0, tzinfo=UTC))

    schedule = services.create_schedule(
        workflow=WorkflowFactory(), name="NY", cron_expression="0 9 * * *", timezone="America/New_York"
    )

    assert schedule.next_run == datetime(2025, 1, 15, 14, 0, tzinfo=UTC)
    assert timezone.is_aware(schedule.next_run)


def test_interval_schedule_runs_interval_from_now_or_at_a_future_start(db, clock):
    now = clock.set(datetime(2025, 5, 1, 10, 0, tzinfo=UTC))
    workflow = WorkflowFactory()

    every = services.create_schedule(workflow=workflow, name="Hvert kvarter", interval_minutes=15)
    later = services.create_schedule(
        workflow=workflow, name="Fra juni", interval_minutes=60, start_date=now + timedelta(days=31)
    )

    assert Schedule.objects.get(pk=every.pk).next_run == now + timedelta(minutes=15)
    assert Schedule.objects.get(pk=later.pk).next_run == now + timedelta(days=31)


def test_cron_with_a_future_start_date_runs_from_it(db, clock):
    clock.set(datetime(2025, 5, 1, 10, 0, tzinfo=UTC))
    start = datetime(2025, 6, 2, 7, 0, tzinfo=UTC)  # Monday 09:00 in Copenhagen

    schedule = services.create_schedule(
        workflow=WorkflowFactory(), name="Fra juni", cron_expression="0 9 * * 1-5", start_date=start
    )

    assert schedule.next_run == start


def test_a_schedule_past_its_end_date_has_no_next_run(db, clock):
    now = clock.set(datetime(2025, 5, 1, 10, 0, tzinfo=UTC))

    schedule = services.create_schedule(
        workflow=WorkflowFactory(),
        name="Kort",
        interval_minutes=120,
        start_date=now - timedelta(days=1),
        end_date=now + timedelta(minutes=30),
    )

    assert schedule.next_run is None


def test_an_inactive_schedule_has_no_next_run(db):
    schedule = services.create_schedule(
        workflow=WorkflowFactory(), name="Slukket", interval_minutes=5, is_active=False
    )

    assert schedule.next_run is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("61 * * * *", "is not a valid cron expression: [61 * * * *] is not acceptable, out of range"),
        ("* * *", "it has 3 fields; a cron expression has 5"),
        ("0 9 * * * *", "it has 6 fields"),
        ("hver morgen", "it has 2 fields"),
        ("0 0 31 2 *", "it never matches a date"),
        ("0 25 * * *", "out of range"),
        ("0 9 * * xyz", "is not a valid cron expression"),
    ],
)
def test_a_bad_cron_expression_is_refused_with_its_reason(db, expression, reason):
    with pytest.raises(ValidationError) as refused:
        services.create_schedule(workflow=WorkflowFactory(), name="Dårlig", cron_expression=expression)

    message = refused.value.message_dict["cron_expression"][0]
    assert reason in message
    assert not Schedule.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a cron expression or an interval"),
        ({"cron_expression": "  "}, "needs a cron expression or an interval"),
        ({"cron_expression": "* * * * *", "interval_minutes": 5}, "not both"),
        ({"interval_minutes": 0}, "interval_minutes must be an integer >= 1"),
        ({"interval_minutes": -5}, "interval_minutes must be an integer >= 1"),
        ({"interval_minutes": 5, "timezone": "Europe/Aarhus"}, "'Europe/Aarhus' is not a known time zone"),
        ({"interval_minutes": 5, "start_date": datetime(2025, 1, 1)}, "must be a timezone-aware datetime"),  # noqa: DTZ001
        ({"interval_minutes": 5, "colour": "red"}, "Unknown schedule field: colour"),
    ],
)
def test_create_schedule_refuses_bad_input(db, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        services.create_schedule(workflow=WorkflowFactory(), name="X", **kwargs)
    assert not Schedule.objects.exists()


def test_end_date_must_follow_start_date(db):
    start = timezone.now()

    with pytest.raises(ValidationError, match="end date must come after the start date"):
        services.create_schedule(
            workflow=WorkflowFactory(), name="X", interval_minutes=5, start_date=start, end_date=start
        )


def test_an_archived_workflow_cannot_be_scheduled(db):
    with pytest.raises(ValidationError, match="archived"):
        services.create_schedule(workflow=WorkflowFactory(status="archived"), name="X", interval_minutes=5)
