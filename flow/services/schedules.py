"""Schedules: when a workflow runs, by a five-field cron expression or an interval, in an IANA time zone.

`next_run_after` is the one place that computes a run time (the admin and the demo data call it too).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter
from django.core.exceptions import ValidationError
from django.utils import timezone

from shared import validation as v

from ..models import Schedule, Workflow
from .validation import _aware, _workflow

SCHEDULE_FIELDS = {"description", "is_active", "start_date", "end_date", "max_runs"}


def _zone(value: Any, name: str) -> ZoneInfo:
    zone_name = v.text(value, name=name, max_length=63)
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise v.invalid(name, f"'{zone_name}' is not a known time zone (use an IANA name).") from None


def validate_timezone(*, timezone: str) -> ZoneInfo:
    """The zone of an IANA name (Europe/Copenhagen).

    Raises ValidationError keyed by "timezone": not text, or not a known IANA zone name.
    """
    return _zone(timezone, "timezone")


def _cron(value: Any, name: str) -> str:
    expression = v.text(value, name=name, max_length=100)
    fields = expression.split()
    if len(fields) != 5:
        raise v.invalid(
            name,
            f"'{expression}' is not a valid cron expression: it has {len(fields)} fields; a cron "
            "expression has 5 (minute hour day-of-month month day-of-week).",
        )
    try:
        croniter(expression).get_next(datetime)
    except CroniterBadDateError:
        raise v.invalid(
            name, f"'{expression}' is not a valid cron expression: it never matches a date."
        ) from None
    except (CroniterError, ValueError, KeyError, OverflowError) as error:
        raise v.invalid(name, f"'{expression}' is not a valid cron expression: {error}") from None
    return expression


def validate_cron_expression(*, cron_expression: str) -> str:
    """The expression, stripped, if it is a standard five-field cron expression that ever fires.

    Raises ValidationError keyed by "cron_expression": not text, not five fields, or never firing.
    """
    return _cron(cron_expression, "cron_expression")


def next_run_after(
    *,
    after: datetime,
    cron_expression: str | None = None,
    interval_minutes: int | None = None,
    timezone_name: str = "Europe/Copenhagen",
    start_date: datetime | None = None,
    end_date: datetime | None = None,
) -> datetime | None:
    """The first run after `after`, as an aware datetime in the schedule's zone; None past the end date.

    Cron fields are read in the schedule's zone ("0 9 * * *" is 09:00 Copenhagen time, summer and
    winter). An interval schedule runs first at its start date, else `interval_minutes` from `after`.

    Raises ValidationError keyed by the argument: a naive or out-of-range datetime, an invalid cron
    expression, neither cron nor a positive interval, an unknown time zone.
    """
    zone = _zone(timezone_name, "timezone_name")
    after = v.aware_datetime(after, name="after")
    start_date = _aware(start_date, "start_date")
    end_date = _aware(end_date, "end_date")
    if cron_expression is not None:
        cron_expression = _cron(cron_expression, "cron_expression")
    else:
        interval_minutes = v.integer(interval_minutes, name="interval_minutes", min_value=1)
    base = max(after, start_date) if start_date else after
    if cron_expression:
        if start_date and start_date > after:
            base = start_date - timedelta(seconds=1)  # a start date on the schedule counts
        upcoming = croniter(cron_expression, base.astimezone(zone)).get_next(datetime)
    else:
        assert interval_minutes is not None
        upcoming = (
            start_date if start_date and start_date > after else after + timedelta(minutes=interval_minutes)
        )
    upcoming = upcoming.astimezone(zone)
    if not v.MIN_DATETIME <= upcoming < v.MAX_DATETIME:
        return None  # beyond 2200: as good as never
    if end_date and upcoming > end_date:
        return None
    return upcoming


def create_schedule(
    *,
    workflow: Workflow,
    name: str,
    cron_expression: str | None = None,
    interval_minutes: int | None = None,
    timezone: str = "Europe/Copenhagen",
    **fields: Any,
) -> Schedule:
    """Schedule a workflow by a cron expression (five fields) or every `interval_minutes`, not both.

    `fields`: description, is_active, start_date, end_date, max_runs. `next_run` is computed in the
    schedule's time zone and stored as an aware datetime.

    Raises ValidationError keyed by the argument: an unknown field name; neither or both of cron and
    interval; an invalid cron expression or interval; an unknown time zone; a naive or out-of-range
    date; an end before the start; a workflow that is not saved or is archived.
    """
    fields = v.model_fields(Schedule, fields, allowed=SCHEDULE_FIELDS)
    workflow = _workflow(workflow)
    name = v.model_field(Schedule, "name", name)
    if isinstance(cron_expression, str) and not cron_expression.strip():
        cron_expression = None
    if cron_expression is None and interval_minutes is None:
        raise v.invalid("cron_expression", "A schedule needs a cron expression or an interval in minutes.")
    if cron_expression is not None and interval_minutes is not None:
        raise v.invalid("interval_minutes", "A schedule takes a cron expression or an interval, not both.")
    if cron_expression is not None:
        cron_expression = _cron(cron_expression, "cron_expression")
    else:
        interval_minutes = v.integer(interval_minutes, name="interval_minutes", min_value=1)
    _zone(timezone, "timezone")
    start_date = fields.get("start_date")
    end_date = fields.get("end_date")
    if start_date and end_date and end_date <= start_date:
        raise ValidationError({"end_date": "The end date must come after the start date."})
    if workflow.status == Workflow.Status.ARCHIVED:
        raise ValidationError(
            {"workflow": f"Workflow '{workflow.name}' is archived; it cannot be scheduled."}
        )
    schedule = Schedule(
        workflow=workflow,
        name=name,
        cron_expression=cron_expression,
        interval_minutes=interval_minutes if cron_expression is None else None,
        timezone=timezone,
        **fields,
    )
    if schedule.is_active:
        schedule.next_run = next_run_after(
            after=_now(),
            cron_expression=cron_expression,
            interval_minutes=schedule.interval_minutes,
            timezone_name=timezone,
            start_date=start_date,
            end_date=end_date,
        )
    return v.save_new(schedule, key="name")


def _now() -> datetime:
    # create_schedule's `timezone` argument (the name) hides the django.utils.timezone module.
    return timezone.now()
