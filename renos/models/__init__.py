"""Models of the renos schema (RenOS, the cleaning company's operations); every table is
`db_table = 'renos"."<table>'`, as listed in DATA_MODEL.md.

Split by subject so that each module stays readable: customers and the sales pipeline, bookings and
their timers, cleaning plans, e-mail and chat, invoicing, and operational records.
"""

from .billing import Invoice, InvoiceCounter, InvoiceLineItem, InvoiceStatus, PaymentMethod
from .bookings import Booking, BookingStatus, Break, TimerStatus
from .communication import (
    ChatMessage,
    ChatMessageRole,
    ChatSession,
    Conversation,
    ConversationChannel,
    ConversationStatus,
    EmailDirection,
    EmailIngestRun,
    EmailIngestRunStatus,
    EmailMessage,
    EmailMessageStatus,
    EmailResponse,
    EmailResponseStatus,
    EmailThread,
    Escalation,
    EscalationSeverity,
)
from .operations import Analytics, CompetitorPricing, Label, Service, TaskExecution, TaskExecutionStatus
from .plans import CleaningPlan, CleaningPlanBooking, CleaningTask, PlanFrequency
from .sales import Customer, CustomerStatus, Lead, LeadPriority, LeadStatus, Quote, QuoteStatus

__all__ = [
    "Analytics",
    "Booking",
    "BookingStatus",
    "Break",
    "ChatMessage",
    "ChatMessageRole",
    "ChatSession",
    "CleaningPlan",
    "CleaningPlanBooking",
    "CleaningTask",
    "CompetitorPricing",
    "Conversation",
    "ConversationChannel",
    "ConversationStatus",
    "Customer",
    "CustomerStatus",
    "EmailDirection",
    "EmailIngestRun",
    "EmailIngestRunStatus",
    "EmailMessage",
    "EmailMessageStatus",
    "EmailResponse",
    "EmailResponseStatus",
    "EmailThread",
    "Escalation",
    "EscalationSeverity",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLineItem",
    "InvoiceStatus",
    "Label",
    "Lead",
    "LeadPriority",
    "LeadStatus",
    "PaymentMethod",
    "PlanFrequency",
    "Quote",
    "QuoteStatus",
    "Service",
    "TaskExecution",
    "TaskExecutionStatus",
    "TimerStatus",
]
