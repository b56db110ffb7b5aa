"""Cleaning plans: a customer's recurring programme, its tasks, and the bookings that carried it out."""

from django.db import models

from shared.models import TekupModel, choices_check

from .bookings import Booking
from .fields import money, optional_text, text_array
from .sales import Customer


class PlanFrequency(models.TextChoices):
    ONCE = "once", "Once"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every other week"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class CleaningPlan(TekupModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cleaning_plans")
    name = models.CharField(max_length=255)
    description = optional_text(None)
    service_type = models.CharField(max_length=100)
    frequency = models.CharField(
        max_length=20, choices=PlanFrequency.choices, default=PlanFrequency.ONCE, db_default="once"
    )
    is_template = models.BooleanField(default=False, db_default=False)
    is_active = models.BooleanField(default=True, db_default=True)
    estimated_duration = models.PositiveIntegerField(default=120, db_default=120, help_text="Minutes.")
    estimated_price = money(null=True, blank=True)
    square_meters = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    address = optional_text(None)
    notes = optional_text(None)

    class Meta:
        db_table = 'renos"."cleaning_plans'
        ordering = ["name"]
        indexes = [
            models.Index(fields=["service_type"], name="cleaning_plans_service_idx"),
            models.Index(fields=["is_active"], name="cleaning_plans_active_idx"),
        ]
        constraints = [choices_check("cleaning_plans", "frequency", PlanFrequency)]

    def __str__(self):
        return self.name


class CleaningTask(TekupModel):
    plan = models.ForeignKey(CleaningPlan, on_delete=models.CASCADE, related_name="tasks")
    name = models.CharField(max_length=255)
    description = optional_text(None)
    category = models.CharField(max_length=100)
    estimated_time = models.PositiveIntegerField(default=15, db_default=15, help_text="Minutes.")
    is_required = models.BooleanField(default=True, db_default=True)
    is_completed = models.BooleanField(default=False, db_default=False)
    sort_order = models.IntegerField(default=0, db_default=0)
    price_per_task = money(null=True, blank=True)

    class Meta:
        db_table = 'renos"."cleaning_tasks'
        ordering = ["plan", "sort_order", "name"]
        indexes = [models.Index(fields=["category"], name="cleaning_tasks_category_idx")]

    def __str__(self):
        return self.name


class CleaningPlanBooking(TekupModel):
    plan = models.ForeignKey(CleaningPlan, on_delete=models.CASCADE, related_name="plan_bookings")
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="plan_booking")
    completed_tasks = text_array(help_text="Ids of the plan's tasks done on this booking.")
    actual_duration = models.PositiveIntegerField(null=True, blank=True, help_text="Minutes.")
    notes = optional_text(None)

    class Meta:
        db_table = 'renos"."cleaning_plan_bookings'
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.plan} · {self.booking}"
