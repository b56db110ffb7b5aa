"""Admin of bookings, their breaks, and cleaning plans."""

from django.contrib import admin

from shared.admin_base import TekupModelAdmin, TekupTabularInline

from .. import services
from ..models import Booking, Break, CleaningPlan, CleaningPlanBooking, CleaningTask
from ._common import run_service_action

TIMER_FIELDS = [
    "timer_status",
    "actual_start_time",
    "actual_end_time",
    "actual_duration",
    "time_variance",
    "efficiency_score",
]


class BreakInline(TekupTabularInline):
    model = Break
    fields = ["start_time", "end_time", "duration", "reason", "notes"]
    readonly_fields = ["duration"]


@admin.register(Booking)
class BookingAdmin(TekupModelAdmin):
    list_display = [
        "scheduled_at",
        "status",
        "timer_status",
        "customer",
        "service_type",
        "estimated_duration",
        "actual_duration",
        "time_variance",
        "efficiency_score",
    ]
    list_filter = ["status", "timer_status", "service_type"]
    search_fields = [
        "customer__name",
        "customer__email",
        "lead__name",
        "lead__email",
        "address",
        "service_type",
    ]
    date_hierarchy = "scheduled_at"
    list_select_related = ["customer", "lead"]
    autocomplete_fields = ["customer", "lead", "quote"]
    readonly_fields = [*TIMER_FIELDS, "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["customer", "lead", "quote", "service_type", "address", "status", "notes"]}),
        ("Schedule", {"fields": ["scheduled_at", "estimated_duration", "start_time", "end_time"]}),
        ("Calendar", {"fields": ["calendar_event_id", "calendar_link"]}),
        ("Timer (kept by the timer services)", {"fields": [*TIMER_FIELDS, "time_notes"]}),
        ("Dates", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [BreakInline]
    actions = ["start_timer", "stop_timer"]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Break:
            return super().save_formset(request, form, formset, change)
        pauses = formset.save(commit=False)
        for pause in formset.deleted_objects:
            pause.delete()
        for pause in pauses:
            pause.compute_duration()
            pause.save()
        formset.save_m2m()

    @admin.action(permissions=["change"], description="Start the timer")
    def start_timer(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda b: services.start_timer(booking=b), "Timers started"
        )

    @admin.action(permissions=["change"], description="Stop the timer")
    def stop_timer(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda b: services.stop_timer(booking=b), "Timers stopped"
        )


@admin.register(Break)
class BreakAdmin(TekupModelAdmin):
    list_display = ["booking", "start_time", "end_time", "duration", "reason"]
    search_fields = ["reason", "notes", "booking__customer__name"]
    date_hierarchy = "start_time"
    list_select_related = ["booking__customer", "booking__lead"]
    autocomplete_fields = ["booking"]
    readonly_fields = ["duration", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.compute_duration()
        super().save_model(request, obj, form, change)


class CleaningTaskInline(TekupTabularInline):
    model = CleaningTask
    fields = [
        "sort_order",
        "name",
        "category",
        "estimated_time",
        "is_required",
        "is_completed",
        "price_per_task",
    ]


@admin.register(CleaningPlan)
class CleaningPlanAdmin(TekupModelAdmin):
    list_display = [
        "name",
        "customer",
        "service_type",
        "frequency",
        "estimated_duration",
        "estimated_price",
        "is_active",
        "is_template",
    ]
    list_filter = ["is_active", "is_template", "frequency", "service_type"]
    search_fields = ["name", "customer__name", "service_type", "address"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [CleaningTaskInline]


@admin.register(CleaningTask)
class CleaningTaskAdmin(TekupModelAdmin):
    list_display = ["name", "plan", "category", "estimated_time", "is_required", "is_completed", "sort_order"]
    list_filter = ["category", "is_required", "is_completed"]
    search_fields = ["name", "category", "plan__name"]
    list_select_related = ["plan"]
    autocomplete_fields = ["plan"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(CleaningPlanBooking)
class CleaningPlanBookingAdmin(TekupModelAdmin):
    list_display = ["plan", "booking", "actual_duration", "created_at"]
    search_fields = ["plan__name", "booking__customer__name", "notes"]
    date_hierarchy = "created_at"
    list_select_related = ["plan", "booking__customer", "booking__lead"]
    autocomplete_fields = ["plan", "booking"]
    readonly_fields = ["created_at", "updated_at"]
