"""renos' factories, as the demo data uses them: the timer rule the factory gives is the one stop_timer
applies."""

from decimal import Decimal

from renos.factories import BookingFactory
from renos.services import end_break, start_break, start_timer, stop_timer


def test_the_booking_factory_gives_a_stopped_timer_the_figures_of_stop_timer(db, clock):
    booking = BookingFactory(estimated_duration=90)
    start_timer(booking=booking)
    started = clock.now
    clock.advance(minutes=40)
    pause = start_break(booking=booking)
    clock.advance(minutes=12, seconds=40)
    end_break(booking=booking)
    clock.advance(minutes=61)
    stop_timer(booking=booking)
    pause.refresh_from_db()

    built = BookingFactory.build(
        estimated_duration=90,
        actual_start_time=started,
        actual_end_time=clock.now,
        break_times=[(pause.start_time, pause.end_time)],
    )

    figures = (built.actual_duration, built.time_variance, built.efficiency_score)
    assert figures == (booking.actual_duration, booking.time_variance, booking.efficiency_score)
    assert figures == (101, 11, Decimal("0.89"))
    unstarted = BookingFactory.build()
    assert unstarted.actual_duration is unstarted.time_variance is unstarted.efficiency_score is None
