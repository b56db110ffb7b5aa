"""Operational records: daily metrics, task executions of the agent, competitor prices, the service
catalogue and labels."""

from django.db import models

from shared.models import TekupModel, choices_check

from .fields import money, now_field, optional_text


class Analytics(TekupModel):
    date = models.DateField()
    metric = models.CharField(max_length=100)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    metadata = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'renos"."analytics'
        ordering = ["-date", "metric"]
        verbose_name = "analytics entry"
        verbose_name_plural = "analytics"
        constraints = [models.UniqueConstraint(fields=["date", "metric"], name="analytics_date_metric_uniq")]

    def __str__(self):
        return f"{self.date} {self.metric} = {self.value}"


class TaskExecutionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class TaskExecution(TekupModel):
    task_type = models.CharField(max_length=100)
    task_payload = models.JSONField()
    status = models.CharField(max_length=20, choices=TaskExecutionStatus.choices)
    result = models.JSONField(null=True, blank=True)
    error = optional_text(None)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Milliseconds.")
    trace_id = optional_text()
    session_id = optional_text()
    user_id = optional_text()
    intent = optional_text()
    confidence = models.FloatField(null=True, blank=True)
    correction_type = optional_text(100)
    executed_at = now_field()

    class Meta:
        db_table = 'renos"."task_executions'
        ordering = ["-executed_at"]
        indexes = [
            models.Index(fields=["task_type", "status"], name="task_executions_type_stat_idx"),
            models.Index(fields=["executed_at"], name="task_executions_executed_idx"),
            models.Index(fields=["trace_id"], name="task_executions_trace_idx"),
        ]
        constraints = [choices_check("task_executions", "status", TaskExecutionStatus)]

    def __str__(self):
        return f"{self.task_type} ({self.status})"


class CompetitorPricing(TekupModel):
    competitor = models.CharField(max_length=255)
    website_url = models.URLField(max_length=1000)
    pricing_data = models.JSONField()
    scraped_at = now_field()
    credits_used = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        db_table = 'renos"."competitor_pricing'
        ordering = ["-scraped_at"]
        verbose_name_plural = "competitor pricing"
        indexes = [models.Index(fields=["competitor", "scraped_at"], name="competitor_pricing_comp_idx")]

    def __str__(self):
        return f"{self.competitor} {self.scraped_at:%Y-%m-%d}"


class Service(TekupModel):
    name = models.CharField(max_length=255)
    description = optional_text(None)
    price = money()
    duration = models.PositiveIntegerField(help_text="Minutes.")

    class Meta:
        db_table = 'renos"."services'
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="services_price_not_negative")
        ]

    def __str__(self):
        return self.name


class Label(TekupModel):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        db_table = 'renos"."labels'
        ordering = ["name"]

    def __str__(self):
        return self.name
