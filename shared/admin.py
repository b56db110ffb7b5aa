from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from . import audit
from .admin_base import TekupModelAdmin
from .models import AuditLog, User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(TekupModelAdmin, DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_superuser", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "name"]
    readonly_fields = ["last_login", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]}),
    ]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TekupModelAdmin, DjangoGroupAdmin):
    """Django's group admin, audited like every other."""


def model_of_table(schema: str, table: str):
    """The model whose table is <schema>.<table>, or None."""
    key = f"{schema}.{table}"
    return next((m for m in apps.get_models() if audit.table_key(m) == key), None)


@admin.register(AuditLog)
class AuditLogAdmin(TekupModelAdmin):
    """The audit written by the database (shared.audit); staff read it (audit tables are read-only)."""

    list_display = ["created_at", "action", "schema_name", "table_name", "resource_id", "actor"]
    # No date_hierarchy: its year/month/day links run DISTINCT date queries over the whole table.
    list_filter = [("created_at", admin.DateFieldListFilter), "action", "schema_name", "table_name"]
    search_fields = ["resource_id", "actor"]
    list_select_related = False
    fields = [
        "created_at",
        "action",
        "actor",
        "actor_id",
        "schema_name",
        "table_name",
        "resource_id",
        "object_link",
        "changes_table",
        "resource_type",
        "metadata",
    ]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """An id or an email finds its entries by equality first (an index, not a scan of the audit)."""
        term = search_term.strip()
        if term and " " not in term:
            exact = queryset.filter(resource_id=term) | queryset.filter(actor=term.lower())
            if exact.exists():
                return exact, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="object")
    def object_link(self, entry: AuditLog) -> str:
        """A link to the audited row's admin page while the row exists."""
        model = model_of_table(entry.schema_name, entry.table_name) if entry.table_name else None
        if model is None or not entry.resource_id:
            return "-"
        try:
            exists = model._default_manager.filter(pk=entry.resource_id).exists()
        except (ValueError, TypeError, DjangoValidationError):  # an id of another type
            exists = False
        if not exists:
            return "(deleted)"
        try:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[entry.resource_id]
            )
        except NoReverseMatch:  # a model without an admin page (an inline's)
            return entry.resource_id
        return format_html('<a href="{}">{} {}</a>', url, model._meta.verbose_name, entry.resource_id)

    @admin.display(description="changes")
    def changes_table(self, entry: AuditLog) -> str:
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            (
                (field, "—" if pair[0] is None else pair[0], "—" if pair[1] is None else pair[1])
                for field, pair in sorted((entry.changes or {}).items())
            ),
        )
        if not rows:
            return "-"
        return format_html(
            "<table><thead><tr><th>field</th><th>before</th><th>after</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )
