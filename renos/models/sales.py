"""Customers and the sales pipeline: leads and the quotes made for them."""

from decimal import Decimal

from django.db import models

from shared.models import TekupModel, choices_check

from .. import pricing
from .fields import money, optional_text, text_array


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ARCHIVED = "archived", "Archived"


class Customer(TekupModel):
    name = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    phone = optional_text(50)
    address = optional_text(None)
    company_name = optional_text()
    notes = optional_text(None)
    status = models.CharField(
        max_length=20, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE, db_default="active"
    )
    tags = text_array()
    # Counters kept by renos.services (F() updates), never edited by hand.
    total_leads = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    total_bookings = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    total_revenue = money(default=Decimal("0"), db_default=Decimal("0"), editable=False)
    last_contact_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = 'renos"."customers'
        ordering = ["name"]
        # email is indexed by its unique constraint.
        indexes = [models.Index(fields=["status"], name="customers_status_idx")]
        constraints = [
            choices_check("customers", "status", CustomerStatus),
            models.CheckConstraint(
                condition=models.Q(total_revenue__gte=0), name="customers_total_revenue_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.email else self.name


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    QUOTED = "quoted", "Quoted"
    BOOKED = "booked", "Booked"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    SPAM = "spam", "Spam"


class LeadPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Lead(TekupModel):
    session_id = optional_text()
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    source = optional_text(100)
    name = optional_text()
    email = models.EmailField(max_length=254, null=True, blank=True)
    phone = optional_text(50)
    address = optional_text(None)
    square_meters = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    rooms = models.PositiveSmallIntegerField(null=True, blank=True)
    task_type = optional_text(100)
    preferred_dates = text_array()
    status = models.CharField(
        max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW, db_default="new"
    )
    email_thread_id = optional_text()
    follow_up_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    last_follow_up_date = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    company_name = optional_text()
    industry = optional_text(100)
    estimated_size = optional_text(100)
    estimated_value = money(null=True, blank=True)
    enrichment_data = models.JSONField(null=True, blank=True)
    last_enriched = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(default=0, db_default=0)
    priority = models.CharField(
        max_length=20, choices=LeadPriority.choices, default=LeadPriority.MEDIUM, db_default="medium"
    )
    last_scored = models.DateTimeField(null=True, blank=True)
    score_metadata = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'renos"."leads'
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["email", "created_at"], name="leads_email_created_idx"),
            models.Index(fields=["estimated_value"], name="leads_estimated_value_idx"),
            models.Index(fields=["score", "priority"], name="leads_score_priority_idx"),
        ]
        constraints = [
            choices_check("leads", "status", LeadStatus),
            choices_check("leads", "priority", LeadPriority),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="leads_score_at_most_100"),
        ]

    def __str__(self):
        return self.name or self.email or self.phone or f"Lead {self.pk}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class Quote(TekupModel):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="quotes")
    hourly_rate = money()
    estimated_hours = models.DecimalField(max_digits=7, decimal_places=2)
    subtotal = money()
    vat_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("25"), db_default=Decimal("25")
    )
    total = money()
    notes = optional_text(None)
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT, db_default="draft"
    )

    class Meta:
        db_table = 'renos"."quotes'
        ordering = ["-created_at"]
        constraints = [
            choices_check("quotes", "status", QuoteStatus),
            models.CheckConstraint(
                condition=models.Q(hourly_rate__gte=0), name="quotes_hourly_rate_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(estimated_hours__gt=0), name="quotes_estimated_hours_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(vat_rate__gte=0, vat_rate__lte=100), name="quotes_vat_rate_percent"
            ),
        ]

    def __str__(self):
        return f"Quote {self.total} kr. for {self.lead}"

    def compute_totals(self) -> None:
        """subtotal = rate × hours and total = subtotal + VAT, each rounded to øre."""
        self.subtotal = pricing.quote_subtotal(self.hourly_rate, self.estimated_hours)
        self.total = pricing.total_with_vat(self.subtotal, self.vat_rate)
