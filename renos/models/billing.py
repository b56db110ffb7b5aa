"""Invoices, their lines, and the per-year counter that numbers them without gaps."""

from decimal import Decimal

from django.db import models
from django.db.models.functions import Round

from shared.models import TekupModel, choices_check

from .. import pricing
from .bookings import Booking
from .fields import money, optional_text
from .sales import Customer


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    CANCELLED = "cancelled", "Cancelled"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    MOBILEPAY = "mobilepay", "MobilePay"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    OTHER = "other", "Other"


class Invoice(TekupModel):
    invoice_number = models.CharField(max_length=20, unique=True)
    # Bookkeeping keeps every invoice: it never disappears with its booking (the link is cleared, as in
    # the original) or its customer (refused; a customer with invoices is anonymised instead).
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    # A snapshot of the customer at the time of invoicing: an invoice does not change when they move.
    customer_name = models.CharField(max_length=255)
    customer_email = models.EmailField(max_length=254, null=True, blank=True)
    customer_address = optional_text(None)
    issue_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, db_default="draft"
    )
    subtotal = money()
    vat_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("25"), db_default=Decimal("25")
    )
    vat_amount = money()
    total = money()
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_amount = money(null=True, blank=True)
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices, null=True, blank=True)
    payment_ref = optional_text()
    billy_invoice_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    billy_contact_id = optional_text()
    billy_synced_at = models.DateTimeField(null=True, blank=True)
    billy_pdf_url = optional_text(None)
    notes = optional_text(None)
    internal_notes = optional_text(None)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = 'renos"."invoices'
        ordering = ["-issue_date", "-invoice_number"]
        # customer is indexed as a foreign key.
        indexes = [
            models.Index(fields=["status"], name="invoices_status_idx"),
            models.Index(fields=["due_date"], name="invoices_due_date_idx"),
        ]
        constraints = [
            choices_check("invoices", "status", InvoiceStatus),
            choices_check("invoices", "payment_method", PaymentMethod),
            models.CheckConstraint(
                condition=models.Q(total=models.F("subtotal") + models.F("vat_amount")),
                name="invoices_total_is_subtotal_plus_vat",
            ),
            models.CheckConstraint(
                condition=models.Q(vat_rate__gte=0, vat_rate__lte=100), name="invoices_vat_rate_percent"
            ),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("issue_date")),
                name="invoices_due_on_or_after_issue",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0, paid_amount__lte=models.F("total")),
                name="invoices_paid_amount_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.invoice_number} · {self.customer_name}"

    @property
    def outstanding(self) -> Decimal:
        """What is still to be paid."""
        return (self.total or Decimal("0")) - (self.paid_amount or Decimal("0"))


class InvoiceLineItem(TekupModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.TextField()
    quantity = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("1"), db_default=Decimal("1")
    )
    unit_price = money()
    amount = money()
    sort_order = models.IntegerField(default=0, db_default=0)

    class Meta:
        db_table = 'renos"."invoice_line_items'
        ordering = ["sort_order", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="invoice_line_items_quantity_positive"
            ),
            # PostgreSQL's round() on numeric rounds half away from zero, as ROUND_HALF_UP does.
            models.CheckConstraint(
                condition=models.Q(amount=Round(models.F("quantity") * models.F("unit_price"), 2)),
                name="invoice_line_items_amount_is_quantity_times_price",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.description}"

    def compute_amount(self) -> None:
        """amount = quantity × unit price, rounded to øre."""
        self.amount = pricing.line_amount(self.quantity, self.unit_price)


class InvoiceCounter(TekupModel):
    """The last invoice number given out per year (a helper table beyond the 23 of the data model).

    renos.services takes the next number with one `INSERT … ON CONFLICT (year) DO UPDATE … RETURNING`,
    inside the transaction that creates the invoice: the row stays locked until that transaction ends,
    so concurrent invoices queue for their number, and a rolled-back invoice gives its number back.
    """

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        db_table = 'renos"."invoice_number_counters'
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}: {self.last_number}"
