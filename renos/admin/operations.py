"""Admin of daily metrics, task executions, competitor prices, the service catalogue and labels."""

from django.contrib import admin
from django.db import models

from shared.admin_base import TekupModelAdmin

from ..models import Analytics, CompetitorPricing, Label, Service, TaskExecution


@admin.register(Analytics)
class AnalyticsAdmin(TekupModelAdmin):
    list_display = ["date", "metric", "value", "updated_at"]
    list_filter = ["metric"]
    search_fields = ["metric"]
    date_hierarchy = "date"
    readonly_fields = ["created_at", "updated_at"]


@admin.register(TaskExecution)
class TaskExecutionAdmin(TekupModelAdmin):
    list_display = ["executed_at", "task_type", "status", "duration", "intent", "confidence", "trace_id"]
    list_filter = ["status", "task_type", "correction_type"]
    search_fields = ["task_type", "trace_id", "session_id", "user_id", "intent"]
    date_hierarchy = "executed_at"
    readonly_fields = ["created_at", "updated_at"]


@admin.register(CompetitorPricing)
class CompetitorPricingAdmin(TekupModelAdmin):
    list_display = ["competitor", "website_url", "scraped_at", "credits_used"]
    list_filter = ["competitor"]
    search_fields = ["competitor", "website_url"]
    date_hierarchy = "scraped_at"
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Service)
class ServiceAdmin(TekupModelAdmin):
    list_display = ["name", "price", "duration"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Label)
class LabelAdmin(TekupModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]
