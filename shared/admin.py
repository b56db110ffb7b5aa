from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group

from . import admin_audit
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

    def user_change_password(self, request, id, form_url=""):
        """Django's own password form saves without save_model: record it here (masked)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            changes = {"password": {"before": admin_audit.MASK, "after": admin_audit.MASK}}
            admin_audit.record(user=request.user, action="change", obj=user, changes=changes)
        return response


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TekupModelAdmin, DjangoGroupAdmin):
    """Django's group admin, audited like every other."""


@admin.register(AuditLog)
class AuditLogAdmin(TekupModelAdmin):
    """The audit trail is written by the system; staff read it (audit tables are read-only)."""

    list_display = ["created_at", "action", "resource_type", "resource_id", "user"]
    # No date_hierarchy: its year/month/day links run DISTINCT date queries over the whole table.
    list_filter = [("created_at", admin.DateFieldListFilter), "action", "resource_type"]
    search_fields = ["resource_id", "user__email", "action"]
    list_select_related = ["user"]
    readonly_fields = ["id", "user", "action", "resource_type", "resource_id", "metadata", "created_at"]
    exclude = ["updated_at"]
