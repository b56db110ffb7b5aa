"""Admin of chat sessions, conversations, e-mail and escalations."""

from django.contrib import admin
from django.db.models import Count

from shared.admin_base import TekupModelAdmin, TekupTabularInline

from ..models import (
    ChatMessage,
    ChatSession,
    Conversation,
    EmailIngestRun,
    EmailMessage,
    EmailResponse,
    EmailThread,
    Escalation,
)


class ChatMessageInline(TekupTabularInline):
    model = ChatMessage
    fields = ["timestamp", "role", "content"]


@admin.register(ChatSession)
class ChatSessionAdmin(TekupModelAdmin):
    list_display = ["__str__", "channel", "locale", "user_id", "message_count", "created_at"]
    list_filter = ["channel", "locale"]
    search_fields = ["user_id", "channel"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ChatMessageInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(message_total=Count("messages"))

    @admin.display(description="messages", ordering="message_total")
    def message_count(self, session):
        return session.message_total


@admin.register(ChatMessage)
class ChatMessageAdmin(TekupModelAdmin):
    list_display = ["timestamp", "role", "short_content", "session"]
    list_filter = ["role"]
    search_fields = ["content"]
    date_hierarchy = "timestamp"
    list_select_related = ["session"]
    autocomplete_fields = ["session"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="content")
    def short_content(self, message):
        return message.content[:80]


@admin.register(Conversation)
class ConversationAdmin(TekupModelAdmin):
    list_display = ["__str__", "customer", "lead", "channel", "status", "created_at", "closed_at"]
    list_filter = ["channel", "status"]
    search_fields = [
        "subject",
        "gmail_thread_id",
        "customer__name",
        "customer__email",
        "lead__name",
        "lead__email",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["customer", "lead"]
    autocomplete_fields = ["customer", "lead"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(EmailIngestRun)
class EmailIngestRunAdmin(TekupModelAdmin):
    list_display = [
        "started_at",
        "finished_at",
        "status",
        "total_emails",
        "new_emails",
        "updated_emails",
        "errors",
    ]
    list_filter = ["status"]
    search_fields = ["status"]
    date_hierarchy = "started_at"
    readonly_fields = ["created_at", "updated_at"]


class EmailMessageInline(TekupTabularInline):
    model = EmailMessage
    fields = ["sent_at", "direction", "sender", "subject", "body", "status", "is_ai_generated"]
    show_change_link = True


@admin.register(EmailThread)
class EmailThreadAdmin(TekupModelAdmin):
    list_display = ["subject", "customer", "last_message_at", "message_count", "is_matched", "confidence"]
    list_filter = ["is_matched", "matched_by"]
    search_fields = ["subject", "gmail_thread_id", "snippet", "customer__name", "customer__email"]
    date_hierarchy = "last_message_at"
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [EmailMessageInline]


@admin.register(EmailMessage)
class EmailMessageAdmin(TekupModelAdmin):
    list_display = ["sent_at", "sender", "subject", "thread", "direction", "status", "is_ai_generated"]
    list_filter = ["direction", "status", "is_ai_generated"]
    search_fields = ["sender", "subject", "gmail_message_id", "thread__gmail_thread_id"]
    date_hierarchy = "sent_at"
    list_select_related = ["thread"]
    autocomplete_fields = ["thread", "conversation"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(EmailResponse)
class EmailResponseAdmin(TekupModelAdmin):
    list_display = ["created_at", "recipient_email", "subject", "lead", "status", "sent_at", "ai_model"]
    list_filter = ["status", "ai_model"]
    search_fields = ["recipient_email", "subject", "lead__name", "lead__email"]
    date_hierarchy = "created_at"
    list_select_related = ["lead"]
    autocomplete_fields = ["lead"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Escalation)
class EscalationAdmin(TekupModelAdmin):
    list_display = [
        "escalated_at",
        "customer_email",
        "customer_name",
        "severity",
        "conflict_score",
        "owner_notified",
        "resolved_at",
        "lead",
    ]
    list_filter = ["severity", "owner_notified", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer_email", "customer_name", "thread_id", "email_snippet"]
    date_hierarchy = "escalated_at"
    list_select_related = ["lead"]
    autocomplete_fields = ["lead"]
    readonly_fields = ["created_at", "updated_at"]
