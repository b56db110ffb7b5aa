import datetime as dt
from decimal import Decimal

import pytest

from renos.timekeeping import (
    TimerFigures,
    efficiency_score,
    minutes_between,
    paused_between,
    stopped_timer,
)

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (29, 0), (30, 1), (89, 1), (90, 2), (150, 3), (-20, 0), (-31, -1)]
)
def test_minutes_between_rounds_half_up(seconds, minutes):
    assert minutes_between(T0, T0 + dt.timedelta(seconds=seconds)) == minutes


def test_only_the_part_of_a_break_inside_the_timer_counts():
    breaks = [(at(-30), at(10)), (at(50), at(70)), (at(110), at(200))]
    assert paused_between(at(0), at(120), breaks) == dt.timedelta(minutes=10 + 20 + 10)
    assert paused_between(at(0), at(120), [(at(130), at(140))]) == dt.timedelta()  # after the stop


def test_efficiency_is_estimate_over_actual_to_two_decimals():
    assert efficiency_score(120, 150) == Decimal("0.80")
    assert efficiency_score(100, 600) == Decimal("0.17")  # 0.1666…
    assert efficiency_score(1, 200) == Decimal("0.01")  # 0.005 rounds up
    assert efficiency_score(120, 0) is None


def test_a_stopped_timer_is_worked_minutes_less_breaks():
    figures = stopped_timer(
        start=at(0), stop=at(180.5), estimated_minutes=120, breaks=[(at(50), at(70)), (at(110), at(120.5))]
    )
    assert figures == TimerFigures(actual_duration=150, time_variance=30, efficiency_score=Decimal("0.80"))


def test_a_timer_without_breaks_and_under_the_estimate():
    figures = stopped_timer(start=at(0), stop=at(90), estimated_minutes=120)
    assert figures == TimerFigures(actual_duration=90, time_variance=-30, efficiency_score=Decimal("1.33"))


def test_breaks_covering_the_whole_run_leave_nothing_worked():
    figures = stopped_timer(start=at(0), stop=at(30), estimated_minutes=60, breaks=[(at(-5), at(40))])
    assert figures == TimerFigures(actual_duration=0, time_variance=-60, efficiency_score=None)


def test_stop_timer_writes_these_figures(db, clock):
    from renos.factories import BookingFactory
    from renos.models import Booking
    from renos.services import end_break, start_break, start_timer, stop_timer

    booking = BookingFactory(estimated_duration=45)
    start_timer(booking=booking)
    started = clock.now
    clock.advance(minutes=10)
    start_break(booking=booking)
    pause_start = clock.now
    clock.advance(minutes=5, seconds=20)
    end_break(booking=booking)
    pause_end = clock.now
    clock.advance(minutes=40, seconds=50)
    stop_timer(booking=booking)

    stored = Booking.objects.get(pk=booking.pk)
    expected = stopped_timer(
        start=started, stop=clock.now, estimated_minutes=45, breaks=[(pause_start, pause_end)]
    )
    assert (
        (stored.actual_duration, stored.time_variance, stored.efficiency_score)
        == (
            expected.actual_duration,
            expected.time_variance,
            expected.efficiency_score,
        )
        == (51, 6, Decimal("0.88"))
    )
