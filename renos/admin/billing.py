"""Admin of invoices, their lines and the invoice number counter.

Totals are never typed in: a line's amount is quantity × unit price, the invoice's subtotal, VAT and
total follow from its lines (renos.services.recalculate_invoice). Lines can be edited only while the
invoice is a draft; its status moves through the actions, which call the services.
"""

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from shared import formatting
from shared.admin_base import TekupModelAdmin, TekupTabularInline

from .. import services
from ..models import Invoice, InvoiceCounter, InvoiceLineItem, InvoiceStatus, PaymentMethod
from ._common import run_service_action

COMPUTED = ["subtotal", "vat_amount", "total"]
PAYMENT = ["paid_at", "paid_amount", "payment_method", "payment_ref"]
FIXED_ONCE_SENT = [
    "customer",
    "booking",
    "customer_name",
    "customer_email",
    "customer_address",
    "issue_date",
    "due_date",
    "vat_rate",
]


def _is_draft(invoice: Invoice | None) -> bool:
    return invoice is None or invoice.status == InvoiceStatus.DRAFT


class InvoiceLineItemInline(TekupTabularInline):
    model = InvoiceLineItem
    fields = ["sort_order", "description", "quantity", "unit_price", "amount"]
    readonly_fields = ["amount"]

    def has_add_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = "__all__"  # noqa: DJ007 (the ModelAdmin decides which fields are shown)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "customer_name" in self.fields:
            self.fields["customer_name"].required = False
            self.fields["customer_name"].help_text = "Left empty: copied from the customer."

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer")
        if customer is not None and "customer_name" in self.fields and not cleaned.get("customer_name"):
            cleaned["customer_name"] = customer.name
            self.instance.customer_name = customer.name
            if "customer_email" in self.fields and not cleaned.get("customer_email"):
                cleaned["customer_email"] = self.instance.customer_email = customer.email
            if "customer_address" in self.fields and not cleaned.get("customer_address"):
                cleaned["customer_address"] = self.instance.customer_address = customer.address
        return cleaned


class InvoiceActionForm(ActionForm):
    payment_method = forms.ChoiceField(
        choices=PaymentMethod.choices,
        initial=PaymentMethod.BANK_TRANSFER,
        required=False,
        label="Payment method (for “mark paid”)",
    )


MARK_PAID = "Mark paid (the outstanding amount, by the payment method chosen)"


@admin.register(Invoice)
class InvoiceAdmin(TekupModelAdmin):
    form = InvoiceForm
    action_form = InvoiceActionForm
    list_display = [
        "invoice_number",
        "customer_name",
        "issue_date",
        "due_date",
        "status",
        "total",
        "paid_amount",
        "outstanding_amount",
        "reminder_sent_at",
    ]
    list_filter = ["status", "payment_method", "issue_date", "due_date"]
    search_fields = [
        "invoice_number",
        "customer_name",
        "customer_email",
        "customer__name",
        "billy_invoice_id",
    ]
    date_hierarchy = "issue_date"
    list_select_related = ["customer"]
    autocomplete_fields = ["customer", "booking"]
    readonly_fields = [
        "invoice_number",
        "status",
        *COMPUTED,
        "outstanding_amount",
        *PAYMENT,
        "sent_at",
        "reminder_sent_at",
        "billy_synced_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["invoice_number", "status", "customer", "booking", "issue_date", "due_date"]}),
        ("Billed to", {"fields": ["customer_name", "customer_email", "customer_address"]}),
        ("Amounts (computed from the lines)", {"fields": ["vat_rate", *COMPUTED, "outstanding_amount"]}),
        ("Payment", {"fields": [*PAYMENT, "sent_at", "reminder_sent_at"]}),
        ("Billy", {"fields": ["billy_invoice_id", "billy_contact_id", "billy_synced_at", "billy_pdf_url"]}),
        ("Notes", {"fields": ["notes", "internal_notes", "created_at", "updated_at"]}),
    ]
    inlines = [InvoiceLineItemInline]
    actions = ["mark_sent", "mark_reminder_sent", "mark_paid", "cancel"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if _is_draft(obj) else [*fields, *FIXED_ONCE_SENT]

    def get_changeform_initial_data(self, request):
        today = timezone.localdate(timezone.now())
        return {
            "issue_date": today,
            "due_date": today + dt.timedelta(days=14),
            **super().get_changeform_initial_data(request),
        }

    def has_delete_permission(self, request, obj=None):
        # Invoice numbers must stay consecutive (bookkeeping law): cancel instead of deleting.
        return False

    @admin.display(description="outstanding")
    def outstanding_amount(self, invoice):
        return formatting.money(invoice.outstanding) if invoice.total is not None else None

    def save_model(self, request, obj, form, change):
        if not change:
            # The admin's view runs in one transaction: a failed save gives the number back.
            obj.subtotal = obj.vat_amount = obj.total = Decimal("0.00")
            obj.invoice_number = services.allocate_invoice_number(year=obj.issue_date.year)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not InvoiceLineItem:
            return super().save_formset(request, form, formset, change)
        lines = formset.save(commit=False)
        for line in formset.deleted_objects:
            line.delete()
        for line in lines:
            line.compute_amount()
            line.save()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if _is_draft(form.instance):
            services.recalculate_invoice(invoice=form.instance)

    @admin.action(permissions=["change"], description="Mark sent")
    def mark_sent(self, request, queryset):
        run_service_action(
            self, request, queryset, lambda i: services.mark_invoice_sent(invoice=i), "Marked sent"
        )

    @admin.action(permissions=["change"], description="Mark reminder sent")
    def mark_reminder_sent(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda i: services.mark_invoice_reminder_sent(invoice=i),
            "Reminders recorded",
        )

    @admin.action(permissions=["change"], description=MARK_PAID)
    def mark_paid(self, request, queryset):
        method = request.POST.get("payment_method") or PaymentMethod.BANK_TRANSFER
        run_service_action(
            self,
            request,
            queryset,
            lambda i: services.mark_invoice_paid(invoice=i, amount=i.outstanding, method=method),
            "Marked paid",
        )

    @admin.action(permissions=["change"], description="Cancel")
    def cancel(self, request, queryset):
        run_service_action(self, request, queryset, lambda i: services.cancel_invoice(invoice=i), "Cancelled")


class InvoiceLineItemForm(forms.ModelForm):
    class Meta:
        model = InvoiceLineItem
        fields = "__all__"  # noqa: DJ007 (the ModelAdmin decides which fields are shown)

    def clean_invoice(self):
        invoice = self.cleaned_data["invoice"]
        if not _is_draft(invoice):
            raise ValidationError(
                f"Invoice {invoice.invoice_number} is {invoice.status}; only drafts take lines."
            )
        return invoice


@admin.register(InvoiceLineItem)
class InvoiceLineItemAdmin(TekupModelAdmin):
    form = InvoiceLineItemForm
    list_display = ["invoice", "description", "quantity", "unit_price", "amount", "sort_order"]
    search_fields = ["description", "invoice__invoice_number", "invoice__customer_name"]
    list_select_related = ["invoice"]
    autocomplete_fields = ["invoice"]
    readonly_fields = ["amount", "created_at", "updated_at"]

    def has_change_permission(self, request, obj=None):
        return (obj is None or _is_draft(obj.invoice)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or _is_draft(obj.invoice)) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.compute_amount()
        super().save_model(request, obj, form, change)
        services.recalculate_invoice(invoice=obj.invoice)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.recalculate_invoice(invoice=obj.invoice)

    def delete_queryset(self, request, queryset):
        invoices = {line.invoice for line in queryset.select_related("invoice")}
        super().delete_queryset(request, queryset)
        for invoice in invoices:
            services.recalculate_invoice(invoice=invoice)


@admin.register(InvoiceCounter)
class InvoiceCounterAdmin(TekupModelAdmin):
    """Read only: the counter moves only with the invoices it numbers."""

    list_display = ["year", "last_number", "updated_at"]
    search_fields = ["year"]
    ordering = [F("year").desc()]
    read_only = True
