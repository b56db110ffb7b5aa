"""renos' demo data is made by renos' factories: their rules hold in the seeded rows, and the timer rule the
factory gives is the one stop_timer applies."""

import datetime as dt
from decimal import Decimal

from renos import factories, pricing
from renos.factories import BookingFactory, lead_priority
from renos.models import (
    Booking,
    BookingStatus,
    Break,
    CleaningPlan,
    CleaningTask,
    EmailIngestRun,
    EmailMessage,
    Escalation,
    Lead,
    LeadPriority,
    Service,
)
from renos.services import end_break, start_break, start_timer, stop_timer
from renos.timekeeping import minutes_between, stopped_timer

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _seed():
    from operations.seeding import run_seed

    run_seed(size="small", apps=["renos"], now=NOW, random_seed=4)


def test_the_seeded_rows_follow_the_factories_rules(db):
    _seed()

    leads = list(Lead.objects.all())
    assert {lead.priority for lead in leads} > {LeadPriority.LOW}  # the scores spread over the levels
    for lead in leads:
        assert lead.priority == lead_priority(lead.score)
        assert (lead.rooms, lead.estimated_size) == (
            max(1, int(lead.square_meters) // 30),
            f"{lead.square_meters:.0f} m²",
        )
    assert all(
        escalation.severity == factories.escalation_severity(escalation.conflict_score)
        for escalation in Escalation.objects.all()
    )
    assert all(message.body_preview == message.body[:120] for message in EmailMessage.objects.all())
    assert all(
        run.total_emails == run.new_emails + run.updated_emails for run in EmailIngestRun.objects.all()
    )
    breaks = list(Break.objects.all())
    assert breaks
    for pause in breaks:
        expected = None if pause.end_time is None else minutes_between(pause.start_time, pause.end_time)
        assert pause.duration == expected


def test_seeded_prices_are_the_time_at_the_services_hourly_rate(db):
    _seed()

    rates = {service.name.lower(): service.price for service in Service.objects.all()}
    plans = list(CleaningPlan.objects.all())
    assert plans
    for plan in plans:
        assert plan.estimated_price == pricing.price_for_minutes(
            rates[plan.service_type], plan.estimated_duration
        )
    charged = CleaningTask.objects.filter(price_per_task__isnull=False).select_related("plan")
    for task in charged:
        assert task.price_per_task == pricing.price_for_minutes(
            rates[task.plan.service_type], task.estimated_time
        )


def test_a_completed_booking_reads_as_stop_timer_left_it(db):
    _seed()

    completed = Booking.objects.filter(status=BookingStatus.COMPLETED).prefetch_related("breaks")
    assert completed.count() > 10
    for booking in completed:
        figures = stopped_timer(
            start=booking.actual_start_time,
            stop=booking.actual_end_time,
            estimated_minutes=booking.estimated_duration,
            breaks=[(pause.start_time, pause.end_time) for pause in booking.breaks.all()],
        )
        assert (booking.actual_duration, booking.time_variance, booking.efficiency_score) == (
            figures.actual_duration,
            figures.time_variance,
            figures.efficiency_score,
        )


def test_a_rule_changed_in_the_factory_changes_the_seeded_rows(db, monkeypatch):
    # The demo passes the score and leaves the priority to LeadFactory: it would stay mixed if the demo
    # computed the priority itself.
    monkeypatch.setattr(factories, "lead_priority", lambda score: LeadPriority.URGENT)

    _seed()

    assert set(Lead.objects.values_list("priority", flat=True)) == {LeadPriority.URGENT}


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
