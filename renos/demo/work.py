"""Bookings with their work timer and breaks, and cleaning plans with their tasks."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

from renos.factories import (
    BookingFactory,
    BreakFactory,
    CleaningPlanBookingFactory,
    CleaningPlanFactory,
    CleaningTaskFactory,
)
from renos.models import BookingStatus, CustomerStatus, LeadStatus, PlanFrequency, TimerStatus
from shared.seeding import (
    built,
    stable_id,
    stamped,
    weighted_choice,
)

from .data import (
    BREAK_REASONS,
    TASKS,
    TO_BOOK,
    _hex,
)

PLAN_FREQUENCIES = {  # weights
    PlanFrequency.WEEKLY: 4,
    PlanFrequency.BIWEEKLY: 4,
    PlanFrequency.MONTHLY: 2,
    PlanFrequency.QUARTERLY: 1,
    PlanFrequency.ONCE: 1,
}
FREQUENCY_LABELS = {
    PlanFrequency.WEEKLY: "Ugentlig",
    PlanFrequency.BIWEEKLY: "14-dages",
    PlanFrequency.MONTHLY: "Månedlig",
    PlanFrequency.QUARTERLY: "Kvartalsvis",
    PlanFrequency.ONCE: "Enkeltstående",
}


class WorkRows:
    """Bookings, timers, breaks and cleaning plans (a mixin of the renos demo builder)."""

    # --- bookings, their timer and breaks -----------------------------------------------------------

    def bookings(self, leads: list[dict], customers: list[dict]) -> tuple[list[dict], list[dict]]:
        """The bookings (of the leads to book, customers' past jobs, the next two weeks) and their breaks."""
        breaks: list[dict] = []
        bookings = self._lead_bookings(leads, breaks)
        bookings += self._past_bookings(customers, breaks)
        bookings += self._upcoming_bookings(customers, breaks)
        self._start_todays_jobs(bookings, breaks)
        return bookings, breaks

    def _lead_bookings(self, leads: list[dict], breaks: list[dict]) -> list[dict]:
        """A booking for each lead to book, days after its quote; the lead is won once the job is done."""
        rng = self.rng
        bookings = []
        for lead in leads:
            if lead["status"] != TO_BOOK:
                continue
            quote = lead["_quote"]
            at = self._work_hours(quote["created_at"] + dt.timedelta(days=rng.randrange(2, 21)))
            booking = self._booking(
                key=("lead", lead["id"]),
                customer=lead["_customer"],
                lead=lead,
                quote=quote,
                service=lead["_service"],
                scheduled_at=at,
                estimated=math.ceil(quote["estimated_hours"] * 60),
                breaks=breaks,
            )
            bookings.append(booking)
            lead["status"] = (
                LeadStatus.WON if booking["status"] == BookingStatus.COMPLETED else LeadStatus.BOOKED
            )
        return bookings

    def _past_bookings(self, customers: list[dict], breaks: list[dict]) -> list[dict]:
        """Customers' jobs of the demo year (up to 30 days ahead)."""
        ctx, rng = self.ctx, self.rng
        bookings = []
        for index in range(ctx.pick(30, 1_100, 12_000)):
            customer = rng.choice(customers)
            service = rng.choice(self.services)
            at = self._work_hours(ctx.now - dt.timedelta(days=rng.random() * 395 - 30))
            bookings.append(
                self._booking(
                    key=("customer", ctx.random_seed, index),
                    customer=customer,
                    lead=None,
                    quote=None,
                    service=service,
                    scheduled_at=at,
                    estimated=service["duration"],
                    breaks=breaks,
                )
            )
        return bookings

    def _upcoming_bookings(self, customers: list[dict], breaks: list[dict]) -> list[dict]:
        """Today and the next two weeks are busy: the calendar staff open first."""
        ctx, rng = self.ctx, self.rng
        bookings = []
        for index in range(ctx.pick(24, 150, 1_500)):
            customer = rng.choice(customers)
            service = rng.choice(self.services)
            at = self._work_hours(ctx.now + dt.timedelta(days=rng.randrange(0, 15)))
            bookings.append(
                self._booking(
                    key=("upcoming", ctx.random_seed, index),
                    customer=customer,
                    lead=None,
                    quote=None,
                    service=service,
                    scheduled_at=at,
                    estimated=service["duration"],
                    breaks=breaks,
                )
            )
        return bookings

    def _start_todays_jobs(self, bookings: list[dict], breaks: list[dict]) -> None:
        """Jobs that began too recently to be finished are under way (the timer runs or is on a break),
        and so are a few that were due later: nothing is still "scheduled" in the past."""
        for booking in bookings:
            if booking.pop("_started"):
                self._under_way(booking, breaks)
        for booking in bookings[-max(2, len(bookings) // 50) :]:
            if (
                booking["status"] in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)
                and booking["lead"] is None
            ):
                self._under_way(booking, breaks)

    def _work_hours(self, moment: dt.datetime) -> dt.datetime:
        """The moment moved to a working hour (07:00-15:00 UTC) on its day, on the quarter hour."""
        return moment.replace(
            hour=self.rng.randrange(7, 15), minute=self.rng.choice([0, 15, 30, 45]), second=0, microsecond=0
        )

    def _booking(self, *, key, customer, lead, quote, service, scheduled_at, estimated, breaks) -> dict:
        """A booking as its life up to the seed's now left it: a completed one with its stopped timer (its
        figures from BookingFactory, as stop_timer computes them) and breaks."""
        rng = self.rng
        booking_id = stable_id("renos.bookings", *key)
        created = min(scheduled_at - dt.timedelta(days=rng.randrange(1, 14)), self.ctx.now)
        if lead is not None:
            created = max(created, quote["created_at"] + dt.timedelta(minutes=30))
        status, started = self._booking_status(scheduled_at, estimated)
        notes = rng.choice([None, None, None, "Ring på ved ankomst", "Husk egne støvsugerposer"])
        event = _hex(self.ctx, 20) if status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED) else None
        timer = (
            self._worked(booking_id, scheduled_at, estimated, breaks)
            if status == BookingStatus.COMPLETED
            else {}
        )
        booking = built(
            BookingFactory,
            id=booking_id,
            customer_id=customer["id"] if customer else None,
            lead_id=lead["id"] if lead else None,
            quote_id=quote["id"] if quote else None,
            service_type=service["name"].lower(),
            address=customer["address"] if customer else lead["address"],
            scheduled_at=scheduled_at,
            estimated_duration=estimated,
            start_time=scheduled_at,
            end_time=scheduled_at + dt.timedelta(minutes=estimated),
            status=status,
            calendar_event_id=event,
            calendar_link=f"https://calendar.google.com/calendar/event?eid={event}" if event else None,
            notes=notes,
            time_notes=None,
            timer_status=TimerStatus.STOPPED if timer else TimerStatus.NOT_STARTED,
            **timer,
        )
        if timer and booking["actual_duration"] > estimated * 1.2:
            booking["time_notes"] = "Længere tid end aftalt: ekstra snavset køkken"
        booking.update(
            _customer=customer,
            _service=service,
            _rate=quote["hourly_rate"] if quote else service["price"],
            _started=started,
        )
        return stamped(booking, created)

    def _booking_status(self, scheduled_at: dt.datetime, estimated: int) -> tuple[str, bool]:
        """The booking's status at the seed's now, and whether it began too recently to be finished."""
        rng = self.rng
        # The longest a job can take (see _worked) plus its breaks: one begun since then is not done.
        started = scheduled_at + dt.timedelta(minutes=estimated * 1.3 + 90) > self.ctx.now
        if scheduled_at > self.ctx.now:
            return rng.choice([BookingStatus.SCHEDULED, BookingStatus.CONFIRMED]), False
        if started:
            return BookingStatus.CONFIRMED, True  # _under_way starts its timer
        status = weighted_choice(
            self.ctx, {BookingStatus.COMPLETED: 90, BookingStatus.CANCELLED: 6, BookingStatus.NO_SHOW: 2}
        )
        return status, False

    def _worked(self, booking_id, scheduled_at: dt.datetime, estimated: int, breaks: list[dict]) -> dict:
        """The stopped timer of a completed job, as start_timer, start_break/end_break and stop_timer would
        have left it: its start, stop and closed breaks (added to `breaks`), as BookingFactory takes them."""
        rng = self.rng
        start = scheduled_at + dt.timedelta(minutes=rng.randrange(-10, 20), seconds=rng.randrange(60))
        worked = dt.timedelta(seconds=int(estimated * 60 * rng.uniform(0.75, 1.3)))
        pauses = [
            dt.timedelta(minutes=rng.randrange(5, 35), seconds=rng.randrange(60))
            for _ in range(weighted_choice(self.ctx, {0: 5, 1: 4, 2: 1}))
        ]
        moment, paused, intervals = start, dt.timedelta(), []
        for number, pause in enumerate(pauses):
            moment += dt.timedelta(seconds=int(worked.total_seconds()) // (len(pauses) + 1))
            breaks.append(self._break(booking_id, number, moment, moment + pause))
            intervals.append((moment, moment + pause))
            moment += pause
            paused += pause
        return {
            "actual_start_time": start,
            "actual_end_time": start + worked + paused,
            "break_times": intervals,
        }

    def _under_way(self, booking: dict, breaks: list[dict]) -> None:
        start = self.ctx.now - dt.timedelta(minutes=self.rng.randrange(30, 150))
        booking["created_at"] = booking["updated_at"] = min(
            booking["created_at"], start - dt.timedelta(days=1)
        )
        booking.update(
            scheduled_at=start.replace(second=0, microsecond=0),
            start_time=start.replace(second=0, microsecond=0),
            end_time=start.replace(second=0, microsecond=0)
            + dt.timedelta(minutes=booking["estimated_duration"]),
            status=BookingStatus.IN_PROGRESS,
            actual_start_time=start,
            timer_status=TimerStatus.RUNNING,
        )
        if self.rng.random() < 0.5:
            # On a break: exactly one open break (the database allows no second one).
            breaks.append(self._break(booking["id"], 0, self.ctx.now - dt.timedelta(minutes=10), None))
            booking["timer_status"] = TimerStatus.ON_BREAK

    def _break(self, booking_id, number: int, start: dt.datetime, end: dt.datetime | None) -> dict:
        """A break of the booking; BreakFactory gives its minutes (none while it is open)."""
        pause = built(
            BreakFactory,
            id=stable_id("renos.breaks", booking_id, number),
            booking_id=booking_id,
            start_time=start,
            end_time=end,
            reason=self.rng.choice(BREAK_REASONS),
            notes=None,
        )
        return stamped(pause, start)

    # --- cleaning plans -----------------------------------------------------------------------------

    def plans(self, customers: list[dict], bookings: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
        """Cleaning plans of customers with bookings, their tasks, and the plans' bookings."""
        ctx, rng = self.ctx, self.rng
        by_customer = defaultdict(list)
        for booking in bookings:
            if booking["lead"] is None and booking["customer"] is not None:
                by_customer[booking["customer"]].append(booking)
        candidates = [customer for customer in customers if by_customer[customer["id"]]] or customers
        plans, tasks, links = [], [], []
        for index, customer in enumerate(
            rng.sample(candidates, min(len(candidates), ctx.pick(8, 150, 1_500)))
        ):
            plan, service = self._plan(index, customer)
            plans.append(plan)
            plan_tasks = self._plan_tasks(plan, service)
            tasks.extend(plan_tasks)
            links.extend(self._plan_bookings(plan, plan_tasks, by_customer[customer["id"]]))
        return plans, tasks, links

    def _plan(self, index: int, customer: dict) -> tuple[dict, dict]:
        """A plan of one of the services for the customer's home, priced at the service's hourly rate."""
        rng = self.rng
        service = rng.choice(self.services[:2] + self.services[4:])
        frequency = weighted_choice(self.ctx, PLAN_FREQUENCIES)
        square_meters = Decimal(rng.randrange(40, 250))
        duration = max(60, int(square_meters) * 2 // 15 * 15)
        # CleaningPlanFactory prices it: its duration at the service's hourly rate.
        plan = built(
            CleaningPlanFactory,
            id=stable_id("renos.cleaning_plans", self.ctx.random_seed, index),
            customer_id=customer["id"],
            name=f"{FREQUENCY_LABELS[frequency]} {service['name'].lower()} – {customer['name']}",
            description=f"{service['description']} {square_meters} m².",
            service_type=service["name"].lower(),
            frequency=frequency,
            is_template=index < 2,
            is_active=customer["status"] == CustomerStatus.ACTIVE,
            estimated_duration=duration,
            hourly_rate=service["price"],
            square_meters=square_meters,
            address=customer["address"],
            notes=None,
        )
        stamped(plan, customer["created_at"] + dt.timedelta(days=rng.randrange(1, 60)))
        return plan, service

    def _plan_tasks(self, plan: dict, service: dict) -> list[dict]:
        """Three to seven of the tasks, most of them required; CleaningTaskFactory prices the few that are
        charged on their own at the service's hourly rate."""
        rng = self.rng
        return [
            stamped(
                built(
                    CleaningTaskFactory,
                    id=stable_id("renos.cleaning_tasks", plan["id"], order),
                    plan_id=plan["id"],
                    name=name,
                    description=None,
                    category=category,
                    estimated_time=minutes,
                    is_required=rng.random() < 0.8,
                    is_completed=False,
                    sort_order=order,
                    hourly_rate=service["price"] if rng.random() < 0.3 else None,
                ),
                plan["created_at"],
            )
            for order, (name, category, minutes) in enumerate(rng.sample(TASKS, rng.randrange(3, 8)))
        ]

    def _plan_bookings(self, plan: dict, plan_tasks: list[dict], customer_bookings: list[dict]) -> list[dict]:
        """Up to six of the customer's bookings carried the plan out (a booking belongs to one plan); a
        completed one did the required tasks and some others."""
        rng = self.rng
        links = []
        for booking in customer_bookings[: rng.randrange(1, 7)]:
            if booking.get("_plan"):
                continue
            booking["_plan"] = plan["id"]
            done = booking["status"] == BookingStatus.COMPLETED
            link = built(
                CleaningPlanBookingFactory,
                id=stable_id("renos.cleaning_plan_bookings", booking["id"]),
                plan_id=plan["id"],
                booking_id=booking["id"],
                completed_tasks=[
                    str(task["id"])
                    for task in plan_tasks
                    if done and (task["is_required"] or rng.random() < 0.5)
                ],
                actual_duration=booking["actual_duration"],
                notes=None,
            )
            links.append(stamped(link, booking["created_at"]))
        return links
