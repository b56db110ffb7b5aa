"""Admin of the crm schema: thin over crm.services (deal moves are actions, the pipeline is a page)."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from shared.admin_base import TekupModelAdmin, TekupTabularInline

from . import services
from .models import Activity, Company, Contact, CrmMetric, Deal, DealProduct, Email, Task

PIPELINE_DEALS_PER_STAGE = 25


def _report(modeladmin, request, done: int, errors: list[str], what: str) -> None:
    if done:
        modeladmin.message_user(request, f"{done} {what}.", messages.SUCCESS)
    for error in errors:
        modeladmin.message_user(request, error, messages.ERROR)


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Company)
class CompanyAdmin(TekupModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["name", "status", "industry", "city", "owner", "last_contact_at"]
    list_filter = ["status", "industry", "country"]
    search_fields = ["name", "vat_number", "registration_number", "email", "city"]
    readonly_fields = ["last_contact_at", "created_at", "updated_at"]


@admin.register(Contact)
class ContactAdmin(TekupModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["full_name", "email", "company", "status", "owner", "last_contact_at", "next_follow_up"]
    list_filter = ["status", "source"]
    search_fields = ["first_name", "last_name", "email", "phone", "mobile", "company__name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    readonly_fields = ["last_contact_at", "created_at", "updated_at"]

    @admin.display(ordering="last_name", description="name")
    def full_name(self, contact):
        return contact.full_name


class DealProductForm(forms.ModelForm):
    """The line total is computed (crm.services.line_total), never typed."""

    class Meta:
        model = DealProduct
        fields = ["product_name", "quantity", "unit_price", "discount", "description"]

    def clean(self):
        cleaned = super().clean()
        quantity, unit_price = cleaned.get("quantity"), cleaned.get("unit_price")
        discount = cleaned.get("discount") or Decimal("0")
        if quantity is not None and unit_price is not None:
            self.instance.total = services.line_total(
                quantity=quantity, unit_price=unit_price, discount=discount
            )
        return cleaned


class DealProductInline(TekupTabularInline):
    model = DealProduct
    form = DealProductForm
    fields = ["product_name", "quantity", "unit_price", "discount", "total", "description"]
    readonly_fields = ["total"]


class DealAddForm(forms.ModelForm):
    """On add the stage sets status, close date and probability as crm.services.create_deal does."""

    class Meta:
        model = Deal
        fields = [
            "title",
            "value",
            "currency",
            "stage",
            "pipeline",
            "probability",
            "contact",
            "company",
            "owner",
        ]

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        if stage:
            self.instance.status = Deal.status_for_stage(stage)
            if self.instance.status != Deal.Status.OPEN:
                self.instance.actual_close_date = timezone.localdate()
                cleaned["probability"] = 100 if self.instance.status == Deal.Status.WON else 0
        return cleaned


def _move_action(stage: str, label: str):
    def action(modeladmin, request, queryset):
        done, errors = 0, []
        for deal in queryset:
            try:
                services.move_deal(deal=deal, stage=stage)
                done += 1
            except ValidationError as error:
                errors.append(_messages(error))
        _report(modeladmin, request, done, errors, f"deal(s) moved to {stage}")

    action.__name__ = f"move_to_{stage}"
    return admin.action(permissions=["change"], description=label)(action)


@admin.register(Deal)
class DealAdmin(TekupModelAdmin):
    change_list_template = "admin/crm/deal/change_list.html"
    list_display = ["title", "stage", "status", "value", "currency", "company", "contact", "owner"]
    list_filter = ["pipeline", "stage", "status", "currency"]
    search_fields = [
        "title",
        "company__name",
        "contact__first_name",
        "contact__last_name",
        "contact__email",
        "owner",
    ]
    list_select_related = ["company", "contact"]
    autocomplete_fields = ["contact", "company"]
    inlines = [DealProductInline]
    date_hierarchy = "created_at"
    actions = [
        _move_action("qualification", "Move to qualification"),
        _move_action("proposal", "Move to proposal"),
        _move_action("negotiation", "Move to negotiation"),
        _move_action("closed_won", "Close as won"),
        _move_action("closed_lost", "Close as lost"),
        "reopen",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DealAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = ["status", "actual_close_date", "created_at", "updated_at"]
        # An existing deal changes stage through the actions (services.move_deal / reopen_deal).
        return ["stage", *fields] if obj is not None else fields

    @admin.action(permissions=["change"], description="Reopen (into negotiation)")
    def reopen(self, request, queryset):
        done, errors = 0, []
        for deal in queryset:
            try:
                services.reopen_deal(deal=deal)
                done += 1
            except ValidationError as error:
                errors.append(_messages(error))
        _report(self, request, done, errors, "deal(s) reopened")

    def get_urls(self):
        pipeline = path("pipeline/", self.admin_site.admin_view(self.pipeline_view), name="crm_deal_pipeline")
        return [pipeline, *super().get_urls()]

    def pipeline_view(self, request):
        """Deals per stage with count and value (crm.services.pipeline_summary) and the largest deals."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        pipeline = request.GET.get("pipeline") or "sales"
        summary = services.pipeline_summary(pipeline=pipeline)
        ranked = (
            Deal.objects.filter(pipeline=pipeline)
            .select_related("company", "contact")
            .annotate(rank=Window(RowNumber(), partition_by=[F("stage")], order_by=[F("value").desc()]))
            .filter(rank__lte=PIPELINE_DEALS_PER_STAGE)
            .order_by("stage", "rank")
        )
        deals: dict[str, list[Deal]] = {entry.stage: [] for entry in summary}
        for deal in ranked:
            deals[deal.stage].append(deal)
        pipelines = sorted(set(Deal.objects.values_list("pipeline", flat=True).distinct()) | {pipeline})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Pipeline: {pipeline}",
            "pipeline": pipeline,
            "pipelines": pipelines,
            "stages": [(entry, deals[entry.stage]) for entry in summary],
            "per_stage": PIPELINE_DEALS_PER_STAGE,
            "changelist_url": reverse("admin:crm_deal_changelist"),
        }
        return TemplateResponse(request, "admin/crm/deal/pipeline.html", context)


@admin.register(DealProduct)
class DealProductAdmin(TekupModelAdmin):
    form = DealProductForm
    fields = ["deal", "product_name", "quantity", "unit_price", "discount", "total", "description"]
    list_display = ["product_name", "deal", "quantity", "unit_price", "discount", "total"]
    search_fields = ["product_name", "deal__title"]
    list_select_related = ["deal"]
    autocomplete_fields = ["deal"]
    readonly_fields = ["total"]


@admin.register(Activity)
class ActivityAdmin(TekupModelAdmin):
    list_display = ["occurred_at", "type", "subject", "contact", "company", "deal", "owner"]
    list_filter = ["type"]
    search_fields = ["subject", "description", "owner", "contact__last_name", "company__name", "deal__title"]
    list_select_related = ["contact", "company", "deal"]
    autocomplete_fields = ["contact", "company", "deal"]
    date_hierarchy = "occurred_at"


@admin.register(Email)
class EmailAdmin(TekupModelAdmin):
    list_display = ["subject", "from_address", "direction", "status", "contact", "sent_at"]
    list_filter = ["direction", "status"]
    search_fields = ["subject", "from_address", "thread_id", "external_id", "contact__email"]
    list_select_related = ["contact"]
    autocomplete_fields = ["contact"]
    readonly_fields = ["opened_at", "clicked_at"]


@admin.register(Task)
class TaskAdmin(TekupModelAdmin):
    list_display = ["title", "assigned_to", "status", "priority", "due_date", "contact"]
    list_filter = ["status", "priority"]
    search_fields = ["title", "description", "assigned_to", "contact__last_name"]
    list_select_related = ["contact"]
    autocomplete_fields = ["contact"]


@admin.register(CrmMetric)
class CrmMetricAdmin(TekupModelAdmin):
    list_display = ["date", "metric", "value"]
    list_filter = ["metric"]
    search_fields = ["metric"]
    date_hierarchy = "date"
