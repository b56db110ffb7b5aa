"""Admin of customers, leads and quotes."""

from django.contrib import admin, messages

from shared.admin_base import TekupModelAdmin, TekupTabularInline

from .. import services
from ..models import Customer, Lead, Quote


@admin.register(Customer)
class CustomerAdmin(TekupModelAdmin):
    list_display = [
        "name",
        "status",
        "email",
        "company_name",
        "total_bookings",
        "total_revenue",
        "last_contact_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["name", "email", "phone", "company_name", "address"]
    date_hierarchy = "created_at"
    readonly_fields = ["total_leads", "total_bookings", "total_revenue", "created_at", "updated_at"]
    actions = ["anonymise"]
    fieldsets = [
        (None, {"fields": ["name", "email", "phone", "address", "company_name", "status", "tags", "notes"]}),
        (
            "Kept by the services",
            {"fields": ["total_leads", "total_bookings", "total_revenue", "last_contact_at"]},
        ),
        ("Dates", {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.action(
        permissions=["change"],
        description="Anonymise (name, e-mail, phone, address replaced; invoices keep what was issued)",
    )
    def anonymise(self, request, queryset):
        count = 0
        for customer in queryset:
            # The database audit records the update, made by this staff member (ActorMiddleware).
            services.anonymise_customer(customer=customer)
            count += 1
        self.message_user(request, f"Anonymised {count} customer(s).", messages.SUCCESS)


class QuoteInline(TekupTabularInline):
    model = Quote
    fields = ["hourly_rate", "estimated_hours", "vat_rate", "subtotal", "total", "status", "valid_until"]
    readonly_fields = ["subtotal", "total"]
    show_change_link = True


@admin.register(Lead)
class LeadAdmin(TekupModelAdmin):
    # Status and priority first: what staff sort and act on (1,400 px shows every column).
    list_display = [
        "__str__",
        "status",
        "priority",
        "score",
        "estimated_value",
        "customer",
        "source",
        "email",
        "created_at",
    ]
    list_filter = ["status", "priority", "source", "task_type"]
    search_fields = ["name", "email", "phone", "company_name", "address", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = [
        "idempotency_key",
        "enrichment_data",
        "last_enriched",
        "last_scored",
        "score_metadata",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "email", "phone", "address", "customer", "source", "status", "priority"]}),
        ("The job", {"fields": ["task_type", "square_meters", "rooms", "preferred_dates"]}),
        (
            "Follow-up",
            {"fields": ["follow_up_attempts", "last_follow_up_date", "email_thread_id", "session_id"]},
        ),
        (
            "Company and scoring",
            {
                "fields": [
                    "company_name",
                    "industry",
                    "estimated_size",
                    "estimated_value",
                    "score",
                    "last_scored",
                    "score_metadata",
                    "enrichment_data",
                    "last_enriched",
                ]
            },
        ),
        ("System", {"fields": ["idempotency_key", "created_at", "updated_at"]}),
    ]
    inlines = [QuoteInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Quote:
            return super().save_formset(request, form, formset, change)
        quotes = formset.save(commit=False)
        for quote in formset.deleted_objects:
            quote.delete()
        for quote in quotes:
            quote.compute_totals()  # subtotal and total are read-only: derived from rate, hours and VAT
            quote.save()
        formset.save_m2m()


@admin.register(Quote)
class QuoteAdmin(TekupModelAdmin):
    list_display = [
        "lead",
        "hourly_rate",
        "estimated_hours",
        "subtotal",
        "vat_rate",
        "total",
        "status",
        "valid_until",
        "created_at",
    ]
    list_filter = ["status", "valid_until"]
    search_fields = ["lead__name", "lead__email", "notes"]
    date_hierarchy = "created_at"
    list_select_related = ["lead"]
    autocomplete_fields = ["lead"]
    readonly_fields = ["subtotal", "total", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.compute_totals()
        super().save_model(request, obj, form, change)
