"""Chat, e-mail and escalations: how customers and leads talk to RenOS."""

from django.db import models
from django.utils import timezone

from shared.models import TekupModel, choices_check

from .fields import now_field, optional_text, text_array
from .sales import Customer, Lead


class ChatSession(TekupModel):
    user_id = optional_text()
    channel = optional_text(50)
    locale = optional_text(20)

    class Meta:
        db_table = 'renos"."chat_sessions'
        ordering = ["-created_at"]

    def __str__(self):
        opened = timezone.localtime(self.created_at)
        return f"Chat {self.channel or ''} {opened:%Y-%m-%d %H:%M}".replace("  ", " ")


class ChatMessageRole(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"
    SYSTEM = "system", "System"
    TOOL = "tool", "Tool"


class ChatMessage(TekupModel):
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=20, choices=ChatMessageRole.choices)
    content = models.TextField()
    timestamp = now_field()

    class Meta:
        db_table = 'renos"."chat_messages'
        ordering = ["timestamp"]
        constraints = [choices_check("chat_messages", "role", ChatMessageRole)]

    def __str__(self):
        return f"{self.role}: {self.content[:60]}"


class ConversationChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    SMS = "sms", "SMS"


class ConversationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"
    ARCHIVED = "archived", "Archived"


class Conversation(TekupModel):
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    subject = optional_text(None)
    channel = models.CharField(
        max_length=20,
        choices=ConversationChannel.choices,
        default=ConversationChannel.EMAIL,
        db_default="email",
    )
    status = models.CharField(
        max_length=20,
        choices=ConversationStatus.choices,
        default=ConversationStatus.ACTIVE,
        db_default="active",
    )
    gmail_thread_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = 'renos"."conversations'
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="conversations_status_idx")]
        constraints = [
            choices_check("conversations", "channel", ConversationChannel),
            choices_check("conversations", "status", ConversationStatus),
        ]

    def __str__(self):
        return self.subject or f"Conversation {self.pk}"


class EmailIngestRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class EmailIngestRun(TekupModel):
    started_at = now_field()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=EmailIngestRunStatus.choices,
        default=EmailIngestRunStatus.RUNNING,
        db_default="running",
    )
    total_emails = models.PositiveIntegerField(default=0, db_default=0)
    new_emails = models.PositiveIntegerField(default=0, db_default=0)
    updated_emails = models.PositiveIntegerField(default=0, db_default=0)
    errors = models.PositiveIntegerField(default=0, db_default=0)
    error_log = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'renos"."email_ingest_runs'
        ordering = ["-started_at"]
        constraints = [choices_check("email_ingest_runs", "status", EmailIngestRunStatus)]

    def __str__(self):
        return f"Ingest {timezone.localtime(self.started_at):%Y-%m-%d %H:%M} ({self.status})"


class EmailThread(TekupModel):
    gmail_thread_id = models.CharField(max_length=255, unique=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="email_threads"
    )
    subject = models.TextField()
    snippet = optional_text(None)
    last_message_at = models.DateTimeField()
    participants = text_array()
    message_count = models.PositiveIntegerField(default=0, db_default=0)
    labels = text_array()
    is_matched = models.BooleanField(default=False, db_default=False)
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = optional_text(100)
    confidence = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = 'renos"."email_threads'
        ordering = ["-last_message_at"]
        indexes = [
            models.Index(fields=["last_message_at"], name="email_threads_last_msg_idx"),
            models.Index(fields=["is_matched"], name="email_threads_is_matched_idx"),
        ]

    def __str__(self):
        return self.subject


class EmailDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class EmailMessageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"


class EmailMessage(TekupModel):
    gmail_message_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    thread = models.ForeignKey(EmailThread, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField("from", max_length=320, db_column="from")
    to = text_array()
    subject = optional_text(None)
    body = models.TextField()
    body_preview = optional_text(None)
    direction = models.CharField(
        max_length=20, choices=EmailDirection.choices, default=EmailDirection.INBOUND, db_default="inbound"
    )
    status = models.CharField(
        max_length=20,
        choices=EmailMessageStatus.choices,
        default=EmailMessageStatus.DELIVERED,
        db_default="delivered",
    )
    is_ai_generated = models.BooleanField(default=False, db_default=False)
    ai_model = optional_text(100)
    sent_at = models.DateTimeField()
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )

    class Meta:
        db_table = 'renos"."email_messages'
        ordering = ["sent_at"]
        indexes = [
            models.Index(fields=["sent_at"], name="email_messages_sent_at_idx"),
            models.Index(fields=["direction"], name="email_messages_direction_idx"),
        ]
        constraints = [
            choices_check("email_messages", "direction", EmailDirection),
            choices_check("email_messages", "status", EmailMessageStatus),
        ]

    def __str__(self):
        return f"{self.sender}: {self.subject or '(no subject)'}"


class EmailResponseStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class EmailResponse(TekupModel):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="email_responses")
    recipient_email = models.EmailField(max_length=254)
    subject = models.TextField()
    body = models.TextField()
    status = models.CharField(
        max_length=20,
        choices=EmailResponseStatus.choices,
        default=EmailResponseStatus.PENDING,
        db_default="pending",
    )
    gmail_thread_id = optional_text()
    gmail_message_id = optional_text()
    sent_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = optional_text(None)
    ai_model = optional_text(100)

    class Meta:
        db_table = 'renos"."email_responses'
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="email_responses_status_idx")]
        constraints = [choices_check("email_responses", "status", EmailResponseStatus)]

    def __str__(self):
        return f"To {self.recipient_email}: {self.subject}"


class EscalationSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Escalation(TekupModel):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="escalations")
    customer_email = models.EmailField(max_length=254)
    customer_name = optional_text()
    thread_id = models.CharField(max_length=255)
    severity = models.CharField(max_length=20, choices=EscalationSeverity.choices)
    conflict_score = models.IntegerField()
    matched_keywords = text_array()
    email_snippet = models.TextField()
    escalated_at = now_field()
    escalated_by = models.CharField(max_length=255)
    owner_notified = models.BooleanField(default=False, db_default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = optional_text(None)

    class Meta:
        db_table = 'renos"."escalations'
        ordering = ["-escalated_at"]
        indexes = [
            models.Index(fields=["severity"], name="escalations_severity_idx"),
            models.Index(fields=["escalated_at"], name="escalations_escalated_at_idx"),
        ]
        constraints = [choices_check("escalations", "severity", EscalationSeverity)]

    def __str__(self):
        return f"{self.get_severity_display()} escalation: {self.customer_email}"
