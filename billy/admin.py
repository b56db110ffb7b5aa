"""Admin of the billy schema.

The API key is write-only: the add form takes it in a password field that is never re-rendered, the
change page shows only whether it is set (`shared.crypto.mask`) and links to a "rotate key" form.
Audit logs and rate-limit windows are written by the system and read-only for everyone; the caches can
be browsed, filtered by expiry and cleared of expired rows; usage has a calls-per-day chart.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters

from shared import crypto
from shared.admin_base import TekupModelAdmin, TekupTabularInline

from . import services
from .charts import calls_per_day_svg
from .models import (
    CachedCustomer,
    CachedInvoice,
    CachedProduct,
    Organization,
    OrganizationUser,
    RateLimit,
    ToolAuditLog,
    UsageMetric,
)

# --- organizations -----------------------------------------------------------------------------------


def _api_key_field() -> forms.CharField:
    return forms.CharField(
        label="Billy API key",
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; it is never shown again.",
    )


class OrganizationAddForm(forms.ModelForm):
    new_billy_api_key = _api_key_field()

    class Meta:
        model = Organization
        fields = ["name", "billy_organization_id", "settings", "is_active"]


class RotateKeyForm(forms.Form):
    new_billy_api_key = _api_key_field()


class OrganizationUserInline(TekupTabularInline):
    model = OrganizationUser
    fields = ["email", "role", "is_active", "last_login_at"]


CLEAR_EXPIRED = "Clear expired rows of all three caches (no selection needed)"


@admin.register(Organization)
class OrganizationAdmin(TekupModelAdmin):
    list_display = ["name", "billy_organization_id", "is_active", "api_key_status", "api_key_rotated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "billy_organization_id"]
    readonly_fields = ["api_key", "api_key_rotated_at", "usage_chart", "created_at", "updated_at"]
    inlines = [OrganizationUserInline]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = OrganizationAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "billy_organization_id", "new_billy_api_key", "settings", "is_active"]
        return ["name", "billy_organization_id", "settings", "is_active", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    @admin.display(description="Billy API key")
    def api_key_status(self, obj: Organization) -> str:
        return crypto.mask(obj.billy_api_key)

    @admin.display(description="Billy API key")
    def api_key(self, obj: Organization) -> str:
        url = reverse("admin:billy_organization_rotate_key", args=[obj.pk])
        return format_html(
            '{} <a class="button" href="{}">Rotate key</a>', crypto.mask(obj.billy_api_key), url
        )

    @admin.display(description="Usage")
    def usage_chart(self, obj: Organization) -> str:
        url = reverse("admin:billy_usagemetric_chart")
        return format_html('<a href="{}?organization={}">Calls per day</a>', url, obj.pk)

    @method_decorator(sensitive_post_parameters("new_billy_api_key"))
    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # New organizations go through the service, which encrypts the key.
        created = services.create_organization(
            name=obj.name,
            billy_api_key=form.cleaned_data["new_billy_api_key"],
            billy_organization_id=obj.billy_organization_id,
            settings=obj.settings,
        )
        if created.is_active != obj.is_active:
            Organization.objects.filter(pk=created.pk).update(is_active=obj.is_active)
            created.is_active = obj.is_active
        for field in created._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding, obj._state.db = False, created._state.db

    def get_urls(self):
        rotate = self.admin_site.admin_view(self.rotate_key_view)
        return [
            path("<path:object_id>/rotate-key/", rotate, name="billy_organization_rotate_key"),
            *super().get_urls(),
        ]

    @method_decorator(sensitive_post_parameters("new_billy_api_key"))
    def rotate_key_view(self, request, object_id):
        # Permission first: someone who may not change organizations gets 403 whether or not the id exists.
        if not self.has_change_permission(request):
            raise PermissionDenied
        organization = get_object_or_404(Organization, pk=object_id)
        if not self.has_change_permission(request, organization):
            raise PermissionDenied
        form = RotateKeyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.set_api_key(
                    organization=organization, billy_api_key=form.cleaned_data["new_billy_api_key"]
                )
            except ValidationError as error:
                form.add_error("new_billy_api_key", error.message_dict.get("billy_api_key", error.messages))
            else:
                self.log_change(request, organization, "Rotated the Billy API key.")
                self.message_user(request, f"The API key of {organization} was replaced.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:billy_organization_change", args=[organization.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": organization,
            "title": f"Rotate the Billy API key of {organization}",
            "form": form,
            "key_status": crypto.mask(organization.billy_api_key),
        }
        return TemplateResponse(request, "admin/billy/organization/rotate_key.html", context)


# --- caches ------------------------------------------------------------------------------------------


class ExpiredFilter(admin.SimpleListFilter):
    title = "expired"
    parameter_name = "expired"

    def lookups(self, request, model_admin):
        return [("yes", "Expired"), ("no", "Live")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.expired()
        if self.value() == "no":
            return queryset.live()
        return queryset


class CachedEntryAdmin(TekupModelAdmin):
    """Cache rows are written by the MCP server: browse, filter and delete, never edit."""

    list_display = ["billy_id", "organization", "cached_at", "expires_at", "expired"]
    list_filter = [ExpiredFilter]
    search_fields = ["billy_id", "organization__name", "organization__billy_organization_id"]
    list_select_related = ["organization"]
    read_only = True
    deletable = True
    actions = ["clear_expired"]

    @admin.display(boolean=True, description="expired")
    def expired(self, obj) -> bool:
        return obj.is_expired

    @admin.action(permissions=["delete"], description=CLEAR_EXPIRED)
    def clear_expired(self, request, queryset):
        counts = services.clear_expired_cache()
        summary = ", ".join(f"{name} {count}" for name, count in counts.items())
        self.message_user(
            request, f"Deleted {sum(counts.values())} expired cache rows ({summary}).", messages.SUCCESS
        )

    def changelist_view(self, request, extra_context=None):
        # "Clear expired" acts on the expired rows, not on a selection: run it when none is selected
        # (Django's changelist would stop at "Items must be selected").
        if (
            request.method == "POST"
            and request.POST.get("action") == "clear_expired"
            and not request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ):
            if not self.has_delete_permission(request):
                raise PermissionDenied
            self.clear_expired(request, self.get_queryset(request))
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)


@admin.register(CachedInvoice)
class CachedInvoiceAdmin(CachedEntryAdmin):
    pass


@admin.register(CachedCustomer)
class CachedCustomerAdmin(CachedEntryAdmin):
    pass


@admin.register(CachedProduct)
class CachedProductAdmin(CachedEntryAdmin):
    pass


# --- read-only records -------------------------------------------------------------------------------


@admin.register(ToolAuditLog)
class ToolAuditLogAdmin(TekupModelAdmin):
    """Written by the MCP server: read only, superusers included."""

    read_only = True
    list_display = ["created_at", "tool_name", "action", "organization", "user", "success", "duration_ms"]
    list_filter = ["success", "tool_name"]
    search_fields = ["tool_name", "action", "resource_id", "organization__name", "user__email"]
    list_select_related = ["organization", "user"]
    date_hierarchy = "created_at"


@admin.register(RateLimit)
class RateLimitAdmin(TekupModelAdmin):
    read_only = True
    list_display = ["endpoint", "organization", "window_start", "window_end", "request_count"]
    search_fields = ["endpoint", "organization__name"]
    list_select_related = ["organization"]


class UsageChartForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.order_by("name"))
    days = forms.TypedChoiceField(
        choices=[(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "365 days")], coerce=int, initial=30
    )


@admin.register(UsageMetric)
class UsageMetricAdmin(TekupModelAdmin):
    """Usage rows are counted by the system; staff read them, prune old ones, and chart them."""

    list_display = [
        "date",
        "hour",
        "tool_name",
        "organization",
        "call_count",
        "success_count",
        "error_count",
        "avg_duration_ms",
        "cache_hit_rate",
    ]
    list_filter = ["date", "tool_name"]
    search_fields = ["tool_name", "organization__name"]
    list_select_related = ["organization"]
    change_list_template = "admin/billy/usagemetric/change_list.html"
    read_only = True
    deletable = True

    def get_urls(self):
        chart = self.admin_site.admin_view(self.chart_view)
        return [path("chart/", chart, name="billy_usagemetric_chart"), *super().get_urls()]

    def chart_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        # A link that names only the organization (its change page's "Calls per day") charts 30 days.
        data = {"days": "30", **request.GET.dict()} if request.GET else None
        form = UsageChartForm(data, initial={"days": 30})
        chart = days = None
        if form.is_valid():
            days = services.get_daily_calls(
                organization=form.cleaned_data["organization"], days=form.cleaned_data["days"]
            )
            chart = calls_per_day_svg(days)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Calls per day (UTC)",
            "form": form,
            "chart": chart,
            "total_calls": sum(calls for _, calls, _ in days) if days else 0,
            "total_errors": sum(errors for _, _, errors in days) if days else 0,
        }
        return TemplateResponse(request, "admin/billy/usagemetric/chart.html", context)
