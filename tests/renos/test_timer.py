from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from renos.factories import BookingFactory, BreakFactory
from renos.models import Booking, BookingStatus, Break, TimerStatus
from renos.services import end_break, start_break, start_timer, stop_timer


def test_a_full_day_with_two_breaks(db, clock):
    booking = BookingFactory(estimated_duration=120)

    start_timer(booking=booking)
    started = clock.now
    assert (booking.timer_status, booking.status) == (TimerStatus.RUNNING, BookingStatus.IN_PROGRESS)
    clock.advance(minutes=50)
    pause = start_break(booking=booking, reason="frokost")
    assert booking.timer_status == TimerStatus.ON_BREAK
    clock.advance(minutes=20)
    ended = end_break(booking=booking)
    clock.advance(minutes=40)
    start_break(booking=booking)
    clock.advance(minutes=10, seconds=30)
    end_break(booking=booking)
    clock.advance(minutes=60)
    stop_timer(booking=booking)

    stored = Booking.objects.get(pk=booking.pk)
    # 180.5 minutes on the clock, 30.5 of them on breaks: 150 worked
    assert (stored.actual_start_time, stored.actual_end_time) == (started, clock.now)
    assert stored.actual_duration == 150
    assert stored.time_variance == 30
    assert stored.efficiency_score == Decimal("0.80")
    assert (stored.timer_status, stored.status) == (TimerStatus.STOPPED, BookingStatus.COMPLETED)
    assert ended.pk == pause.pk and ended.duration == 20 and ended.reason == "frokost"
    assert sorted(Break.objects.filter(booking=booking).values_list("duration", flat=True)) == [11, 20]


def test_finishing_early_gives_a_negative_variance_and_efficiency_above_one(db, clock):
    booking = BookingFactory(estimated_duration=120)
    start_timer(booking=booking)
    clock.advance(minutes=96)

    stop_timer(booking=booking)

    assert (booking.actual_duration, booking.time_variance, booking.efficiency_score) == (
        96,
        -24,
        Decimal("1.25"),
    )


def test_stopping_during_a_break_closes_it_at_the_stop(db, clock):
    booking = BookingFactory(estimated_duration=60)
    start_timer(booking=booking)
    clock.advance(minutes=45)
    start_break(booking=booking)
    clock.advance(minutes=15)

    stop_timer(booking=booking)

    pause = Break.objects.get(booking=booking)
    assert pause.end_time == clock.now and pause.duration == 15
    assert booking.actual_duration == 45


def test_breaks_outside_the_timer_do_not_count(db, clock):
    booking = BookingFactory(estimated_duration=60)
    # A break typed in by hand for the day before.
    BreakFactory(
        booking=booking, start_time=clock.now.replace(day=1), end_time=clock.now.replace(day=1, hour=9)
    )
    start_timer(booking=booking)
    clock.advance(minutes=60)

    stop_timer(booking=booking)

    assert booking.actual_duration == 60


def test_stopping_at_once_gives_no_efficiency(db, clock):
    booking = BookingFactory()
    start_timer(booking=booking)

    stop_timer(booking=booking)

    assert (booking.actual_duration, booking.efficiency_score) == (0, None)


@pytest.mark.parametrize(
    "steps, refused, message",
    [
        ([], stop_timer, "Cannot stop the timer: the timer is not started"),
        ([], start_break, "Cannot start a break: the timer is not started"),
        ([], end_break, "Cannot end a break: the timer is not started"),
        ([start_timer], start_timer, "Cannot start the timer: the timer is running"),
        ([start_timer], end_break, "Cannot end a break: the timer is running"),
        ([start_timer, start_break], start_break, "Cannot start a break: the timer is on break"),
        ([start_timer, stop_timer], start_timer, "Cannot start the timer: the timer is stopped"),
        ([start_timer, stop_timer], stop_timer, "Cannot stop the timer: the timer is stopped"),
    ],
)
def test_invalid_transitions_are_refused(db, clock, steps, refused, message):
    booking = BookingFactory()
    for step in steps:
        step(booking=booking)
        clock.advance(minutes=5)
    before = Booking.objects.values().get(pk=booking.pk)

    with pytest.raises(ValidationError, match=message):
        refused(booking=booking)

    assert Booking.objects.values().get(pk=booking.pk) == before


def test_a_cancelled_booking_cannot_start(db, clock):
    booking = BookingFactory(status=BookingStatus.CANCELLED)

    with pytest.raises(ValidationError, match="booking that is cancelled"):
        start_timer(booking=booking)


def test_the_clock_running_backwards_is_refused(db, clock):
    booking = BookingFactory()
    start_timer(booking=booking)
    clock.advance(minutes=-5)

    with pytest.raises(ValidationError, match="before the start of the timer"):
        stop_timer(booking=booking)


def test_a_stale_instance_cannot_break_the_rules(db, clock):
    """The state is read under a row lock from the database, not from the caller's copy."""
    booking = BookingFactory()
    stale = Booking.objects.get(pk=booking.pk)
    start_timer(booking=booking)
    start_break(booking=booking)

    with pytest.raises(ValidationError, match="on break"):
        start_break(booking=stale)
    assert Break.objects.filter(booking=booking, end_time__isnull=True).count() == 1


def test_the_database_refuses_two_open_breaks(db, clock):
    booking = BookingFactory()
    Break.objects.create(booking=booking, start_time=clock.now)

    with pytest.raises(IntegrityError, match="breaks_one_open_per_booking"):
        Break.objects.create(booking=booking, start_time=clock.advance(minutes=1))
