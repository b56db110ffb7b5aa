"""Models of the crm schema; every table is `db_table = 'crm"."<table>'`.

The columns follow DATA_MODEL.md (crm). Choices are enforced by check constraints, money is
numeric(12,2), lists are text arrays. People (`owner`, `assigned_to`) are stored as text, as the
services that still write these tables in plain SQL do: an email or a user id of any Tekup service.
"""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils import timezone

from shared.models import TekupModel, choices_check

MONEY = {"max_digits": 12, "decimal_places": 2}


def _text_array():
    return ArrayField(models.CharField(max_length=100), default=list, db_default=[], blank=True)


class CompanyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"


class Company(TekupModel):
    Status = CompanyStatus

    name = models.CharField(max_length=255)
    website = models.URLField(max_length=500, null=True, blank=True)
    industry = models.CharField(max_length=100, null=True, blank=True)
    size = models.CharField(max_length=50, null=True, blank=True, help_text="Head count band, e.g. 11-50.")
    revenue = models.DecimalField(**MONEY, null=True, blank=True, help_text="Yearly revenue.")
    email = models.EmailField(null=True, blank=True)
    phone = models.CharField(max_length=50, null=True, blank=True)
    address = models.CharField(max_length=255, null=True, blank=True)
    city = models.CharField(max_length=100, null=True, blank=True)
    postal_code = models.CharField(max_length=20, null=True, blank=True)
    country = models.CharField(max_length=100, default="Denmark", db_default="Denmark")
    vat_number = models.CharField("VAT number", max_length=50, null=True, blank=True)
    registration_number = models.CharField(max_length=50, null=True, blank=True, help_text="CVR number.")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PROSPECT, db_default=Status.PROSPECT
    )
    owner = models.CharField(max_length=255, null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    tags = _text_array()
    custom_fields = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'crm"."companies'
        verbose_name_plural = "companies"
        ordering = ["name"]
        constraints = [choices_check("crm_companies", "status", CompanyStatus)]
        indexes = [
            models.Index(fields=["name"], name="crm_companies_name_idx"),
            models.Index(fields=["status"], name="crm_companies_status_idx"),
        ]

    def __str__(self):
        return self.name


class ContactStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    LEAD = "lead", "Lead"


class Contact(TekupModel):
    Status = ContactStatus

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(null=True, blank=True, help_text="Unique, whatever its case.")
    phone = models.CharField(max_length=50, null=True, blank=True)
    mobile = models.CharField(max_length=50, null=True, blank=True)
    title = models.CharField(max_length=100, null=True, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    linkedin = models.URLField(max_length=500, null=True, blank=True)
    twitter = models.CharField(max_length=100, null=True, blank=True)
    website = models.URLField(max_length=500, null=True, blank=True)
    address = models.CharField(max_length=255, null=True, blank=True)
    city = models.CharField(max_length=100, null=True, blank=True)
    postal_code = models.CharField(max_length=20, null=True, blank=True)
    country = models.CharField(max_length=100, default="Denmark", db_default="Denmark")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.LEAD, db_default=Status.LEAD
    )
    source = models.CharField(max_length=100, null=True, blank=True)
    owner = models.CharField(max_length=255, null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    next_follow_up = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    tags = _text_array()
    custom_fields = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'crm"."contacts'
        ordering = ["last_name", "first_name"]
        constraints = [
            choices_check("crm_contacts", "status", ContactStatus),
            models.UniqueConstraint(
                Lower("email"),
                name="crm_contacts_email_uniq",
                violation_error_message="A contact with this email already exists.",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="crm_contacts_name_idx"),
            models.Index(fields=["status"], name="crm_contacts_status_idx"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class DealStage(models.TextChoices):
    QUALIFICATION = "qualification", "Qualification"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    CLOSED_WON = "closed_won", "Closed won"
    CLOSED_LOST = "closed_lost", "Closed lost"


class DealStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Deal(TekupModel):
    Stage = DealStage

    Status = DealStatus

    OPEN_STAGES = (Stage.QUALIFICATION, Stage.PROPOSAL, Stage.NEGOTIATION)

    title = models.CharField(max_length=255)
    value = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="DKK", db_default="DKK")
    stage = models.CharField(
        max_length=20, choices=Stage.choices, default=Stage.QUALIFICATION, db_default=Stage.QUALIFICATION
    )
    pipeline = models.CharField(max_length=50, default="sales", db_default="sales")
    probability = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)], help_text="Per cent, 0-100."
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    owner = models.CharField(max_length=255)
    expected_close_date = models.DateField(null=True, blank=True)
    actual_close_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_default=Status.OPEN
    )
    lost_reason = models.TextField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    tags = _text_array()
    custom_fields = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'crm"."deals'
        ordering = ["-created_at"]
        constraints = [
            choices_check("crm_deals", "stage", DealStage),
            choices_check("crm_deals", "status", DealStatus),
            # The status follows the stage: a closed stage is a won or lost deal, every other stage open.
            models.CheckConstraint(
                condition=models.Q(stage="closed_won", status="won")
                | models.Q(stage="closed_lost", status="lost")
                | models.Q(stage__in=["qualification", "proposal", "negotiation"], status="open"),
                name="crm_deals_status_matches_stage",
                violation_error_message="The status must follow the stage (closed_won: won, "
                "closed_lost: lost, any other stage: open).",
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="crm_deals_value_not_negative"),
            models.CheckConstraint(
                condition=models.Q(probability__isnull=True) | models.Q(probability__lte=100),
                name="crm_deals_probability_percent",
            ),
        ]
        indexes = [
            models.Index(fields=["pipeline", "stage"], name="crm_deals_pipeline_stage_idx"),
            models.Index(fields=["status"], name="crm_deals_status_idx"),
        ]

    def __str__(self):
        return self.title

    @classmethod
    def status_for_stage(cls, stage: str) -> str:
        return {cls.Stage.CLOSED_WON: cls.Status.WON, cls.Stage.CLOSED_LOST: cls.Status.LOST}.get(
            stage, cls.Status.OPEN
        )

    @property
    def is_closed(self) -> bool:
        return self.status != self.Status.OPEN


class DealProduct(TekupModel):
    """A line of a deal. `discount` is a percentage (0-100) of quantity × unit price."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="products")
    product_name = models.CharField(max_length=255)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=1, db_default=Decimal("1"))
    unit_price = models.DecimalField(**MONEY)
    discount = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        db_default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Per cent of quantity × unit price, 0-100.",
    )
    total = models.DecimalField(**MONEY, help_text="quantity × unit price less the discount, rounded to øre.")
    description = models.TextField(null=True, blank=True)

    class Meta:
        db_table = 'crm"."deal_products'
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="crm_deal_products_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="crm_deal_products_unit_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(discount__gte=0, discount__lte=100),
                name="crm_deal_products_discount_percent",
            ),
            # PostgreSQL's round() on numeric rounds half away from zero, as services.line_total does.
            models.CheckConstraint(
                condition=models.Q(
                    total=models.Func(
                        models.F("quantity") * models.F("unit_price") * (100 - models.F("discount")) / 100,
                        models.Value(2),
                        function="ROUND",
                        output_field=models.DecimalField(**MONEY),
                    )
                ),
                name="crm_deal_products_total_matches",
                violation_error_message="total must be quantity × unit price less the discount (per cent).",
            ),
        ]

    def __str__(self):
        return f"{self.product_name} × {self.quantity}"


class ActivityType(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"
    TASK_COMPLETED = "task_completed", "Task completed"


class Activity(TekupModel):
    Type = ActivityType

    type = models.CharField(max_length=20, choices=Type.choices)
    subject = models.CharField(max_length=255, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    owner = models.CharField(max_length=255)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=255, null=True, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = 'crm"."activities'
        verbose_name_plural = "activities"
        ordering = ["-occurred_at"]
        constraints = [choices_check("crm_activities", "type", ActivityType)]
        indexes = [models.Index(fields=["occurred_at"], name="crm_activities_occurred_idx")]

    def __str__(self):
        return f"{self.get_type_display()}: {self.subject or ''}".rstrip(": ")


class EmailDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class EmailStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    OPENED = "opened", "Opened"
    CLICKED = "clicked", "Clicked"
    BOUNCED = "bounced", "Bounced"


class Email(TekupModel):
    Direction = EmailDirection

    Status = EmailStatus

    subject = models.CharField(max_length=500)
    body = models.TextField()
    from_address = models.CharField("from", max_length=255, db_column="from")
    to = ArrayField(models.CharField(max_length=255), default=list, db_default=[], blank=True)
    cc = ArrayField(models.CharField(max_length=255), default=list, db_default=[], blank=True)
    bcc = ArrayField(models.CharField(max_length=255), default=list, db_default=[], blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_default=Status.DRAFT
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    external_id = models.CharField(max_length=255, null=True, blank=True)
    thread_id = models.CharField(max_length=255, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = 'crm"."emails'
        ordering = ["-created_at"]
        constraints = [
            choices_check("crm_emails", "direction", EmailDirection),
            choices_check("crm_emails", "status", EmailStatus),
        ]
        indexes = [models.Index(fields=["thread_id"], name="crm_emails_thread_idx")]

    def __str__(self):
        return self.subject


class TaskStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Task(TekupModel):
    Status = TaskStatus

    Priority = TaskPriority

    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    assigned_to = models.CharField(max_length=255)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.TODO, db_default=Status.TODO
    )
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.MEDIUM, db_default=Priority.MEDIUM
    )
    due_date = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = 'crm"."tasks'
        ordering = ["due_date"]
        constraints = [
            choices_check("crm_tasks", "status", TaskStatus),
            choices_check("crm_tasks", "priority", TaskPriority),
        ]
        indexes = [models.Index(fields=["assigned_to", "status"], name="crm_tasks_assignee_status_idx")]

    def __str__(self):
        return self.title


class CrmMetric(TekupModel):
    """A daily figure of the CRM (new leads, pipeline value, ...)."""

    date = models.DateField()
    metric = models.CharField(max_length=100)
    value = models.FloatField()
    metadata = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'crm"."metrics'
        verbose_name = "CRM metric"
        ordering = ["-date", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["date", "metric"], name="crm_metrics_date_metric_uniq")
        ]

    def __str__(self):
        return f"{self.date} {self.metric}"
