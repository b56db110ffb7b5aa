"""Bookings of cleaning jobs, with their work timer and its breaks."""

from django.db import models
from django.utils import timezone

from shared.models import TekupModel, choices_check

from ..timekeeping import minutes_between
from .fields import optional_text
from .sales import Customer, Lead, Quote


class BookingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No show"


class TimerStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    RUNNING = "running", "Running"
    ON_BREAK = "on_break", "On break"
    STOPPED = "stopped", "Stopped"


class Booking(TekupModel):
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="bookings"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="bookings")
    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    service_type = optional_text(100)
    address = optional_text(None)
    scheduled_at = models.DateTimeField()
    estimated_duration = models.PositiveIntegerField(
        default=120, db_default=120, help_text="Minutes the job is expected to take."
    )
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=BookingStatus.choices, default=BookingStatus.SCHEDULED, db_default="scheduled"
    )
    calendar_event_id = optional_text()
    calendar_link = optional_text(None)
    notes = optional_text(None)
    # Written by the timer services (renos.services.start_timer … stop_timer).
    actual_start_time = models.DateTimeField(null=True, blank=True)
    actual_end_time = models.DateTimeField(null=True, blank=True)
    actual_duration = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minutes worked: start to stop, less the breaks."
    )
    time_variance = models.IntegerField(
        null=True, blank=True, help_text="Minutes: actual duration minus the estimate (positive = over)."
    )
    efficiency_score = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Estimate ÷ actual duration."
    )
    time_notes = optional_text(None)
    timer_status = models.CharField(
        max_length=20, choices=TimerStatus.choices, default=TimerStatus.NOT_STARTED, db_default="not_started"
    )

    class Meta:
        db_table = 'renos"."bookings'
        ordering = ["-scheduled_at"]
        # customer and lead are indexed as foreign keys.
        indexes = [
            models.Index(fields=["scheduled_at"], name="bookings_scheduled_at_idx"),
            models.Index(fields=["status"], name="bookings_status_idx"),
            models.Index(fields=["timer_status"], name="bookings_timer_status_idx"),
        ]
        constraints = [
            choices_check("bookings", "status", BookingStatus),
            choices_check("bookings", "timer_status", TimerStatus),
            models.CheckConstraint(
                condition=models.Q(actual_end_time__gte=models.F("actual_start_time")),
                name="bookings_actual_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(end_time__gte=models.F("start_time")), name="bookings_end_after_start"
            ),
        ]

    def __str__(self):
        who = self.customer or self.lead or "no customer"
        return f"{timezone.localtime(self.scheduled_at):%Y-%m-%d %H:%M} · {who}"


class Break(TekupModel):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="breaks")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Minutes.")
    reason = optional_text()
    notes = optional_text(None)

    class Meta:
        db_table = 'renos"."breaks'
        ordering = ["start_time"]
        indexes = [models.Index(fields=["start_time"], name="breaks_start_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gte=models.F("start_time")), name="breaks_end_after_start"
            ),
            # The database itself refuses a second open break on a booking.
            models.UniqueConstraint(
                fields=["booking"],
                condition=models.Q(end_time__isnull=True),
                name="breaks_one_open_per_booking",
            ),
        ]

    def __str__(self):
        start = timezone.localtime(self.start_time)
        if self.end_time is None:
            return f"Open break from {start:%Y-%m-%d %H:%M}"
        return f"Break {start:%Y-%m-%d %H:%M}–{timezone.localtime(self.end_time):%H:%M}"

    def compute_duration(self) -> None:
        """Whole minutes of the break (rounded half up), or None while it is open."""
        if self.end_time is None or self.start_time is None:
            self.duration = None
        else:
            self.duration = minutes_between(self.start_time, self.end_time)
