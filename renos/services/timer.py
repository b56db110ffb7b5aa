"""The work timer of a booking: start it, take breaks, stop it; the figures come from renos.timekeeping.

Every call reads the booking under `select_for_update()`, so the timer's state decides the write even
when two people press a button at once.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from shared import validation as v

from .. import timekeeping
from ..models import Booking, BookingStatus, Break, TimerStatus
from .common import _copy_fields, _now, _require_saved

_TIMER_FIELDS = [
    "actual_start_time",
    "actual_end_time",
    "actual_duration",
    "time_variance",
    "efficiency_score",
    "timer_status",
]


def _lock_booking(booking: Booking) -> Booking:
    _require_saved(booking, Booking, name="booking")
    return Booking.objects.select_for_update().get(pk=booking.pk)


def _refuse(locked: Booking, action: str, *allowed: str) -> None:
    if locked.timer_status not in allowed:
        raise ValidationError(
            {
                "booking": f"Cannot {action}: the timer is {locked.get_timer_status_display().lower()} "
                f"(it must be {' or '.join(TimerStatus(s).label.lower() for s in allowed)})."
            }
        )


def _save_timer(locked: Booking, booking: Booking, *extra: str) -> Booking:
    names = [*_TIMER_FIELDS, *extra]
    locked.save(update_fields=[*names, "updated_at"])
    _copy_fields(locked, booking, [*names, "updated_at"])
    return locked


def start_timer(*, booking: Booking) -> Booking:
    """Start the work on a booking: it becomes in progress and its timer runs.

    Raises ValidationError keyed by "booking": not a saved Booking, its timer not idle, or the booking
    cancelled, no-show or completed.
    """
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "start the timer", TimerStatus.NOT_STARTED)
        if locked.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.COMPLETED):
            raise v.invalid("booking", f"Cannot start the timer of a booking that is {locked.status}.")
        locked.actual_start_time = _now()
        locked.timer_status = TimerStatus.RUNNING
        locked.status = BookingStatus.IN_PROGRESS
        return _save_timer(locked, booking, "status")


def start_break(*, booking: Booking, reason: str | None = None) -> Break:
    """Open a break on a running timer; a second open break is refused (here and by the database).

    Raises ValidationError keyed by the argument: a booking that is not saved or whose timer is not
    running, a reason outside its column.
    """
    reason = v.optional_text(reason, name="reason", max_length=Break._meta.get_field("reason").max_length)
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "start a break", TimerStatus.RUNNING)
        pause = Break(booking=locked, start_time=_now(), reason=reason)
        v.full_clean(pause, names={"__all__": "booking"}, validate_constraints=False)
        pause.save(force_insert=True)
        locked.timer_status = TimerStatus.ON_BREAK
        _save_timer(locked, booking)
        return pause


def _close_open_break(locked: Booking, now: dt.datetime) -> Break:
    pause = Break.objects.select_for_update().filter(booking=locked, end_time__isnull=True).first()
    if pause is None:
        raise v.invalid("booking", "The timer is on a break, but no open break was found.")
    if now < pause.start_time:
        raise v.invalid("booking", "The clock is before the start of the break.")
    pause.end_time = now
    pause.compute_duration()
    pause.save(update_fields=["end_time", "duration", "updated_at"])
    return pause


def end_break(*, booking: Booking) -> Break:
    """Close the open break; the timer runs again.

    Raises ValidationError keyed by "booking": not a saved Booking, or its timer not on a break.
    """
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "end a break", TimerStatus.ON_BREAK)
        pause = _close_open_break(locked, _now())
        locked.timer_status = TimerStatus.RUNNING
        _save_timer(locked, booking)
        return pause


def stop_timer(*, booking: Booking) -> Booking:
    """Stop the timer (closing a break still open) and complete the booking.

    actual_duration: minutes from start to stop less the breaks (the part of each break inside that
    span), rounded half up; time_variance: actual − estimate in minutes; efficiency_score: estimate ÷
    actual, to two decimals (none when the actual duration is zero).

    Raises ValidationError keyed by "booking": not a saved Booking, or its timer not running.
    """
    with transaction.atomic():
        locked = _lock_booking(booking)
        _refuse(locked, "stop the timer", TimerStatus.RUNNING, TimerStatus.ON_BREAK)
        now = _now()
        start = locked.actual_start_time
        assert start is not None  # a running timer has a start (start_timer sets both together)
        if now < start:
            raise v.invalid("booking", "The clock is before the start of the timer.")
        if locked.timer_status == TimerStatus.ON_BREAK:
            _close_open_break(locked, now)
        closed = Break.objects.filter(booking=locked, end_time__isnull=False).values_list(
            "start_time", "end_time"
        )
        breaks = [(begin, end) for begin, end in closed if end is not None]
        figures = timekeeping.stopped_timer(
            start=start, stop=now, estimated_minutes=locked.estimated_duration, breaks=breaks
        )
        locked.actual_end_time = now
        locked.actual_duration = figures.actual_duration
        locked.time_variance = figures.time_variance
        locked.efficiency_score = figures.efficiency_score
        locked.timer_status = TimerStatus.STOPPED
        locked.status = BookingStatus.COMPLETED
        return _save_timer(locked, booking, "status")
