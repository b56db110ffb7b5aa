"""Admin of the flow schema: thin over flow.services.

Workflow status and counters are read-only (actions call the services); schedules are validated and
get their next run through the services' helpers; secret variable values and webhook secrets are
write-only fields: the pages show whether one is set, never the value (nor its encrypted token).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from shared import crypto
from shared.admin_base import TekupModelAdmin, TekupTabularInline

from . import services
from .models import (
    Execution,
    ExecutionLog,
    ExecutionStep,
    FlowMetric,
    Integration,
    Schedule,
    Variable,
    Webhook,
    Workflow,
)


def _run_on_each(modeladmin, request, queryset, call, what: str) -> None:
    done, errors = 0, []
    for obj in queryset:
        try:
            call(obj)
            done += 1
        except ValidationError as error:
            errors.append(" ".join(error.messages))
    if done:
        modeladmin.message_user(request, f"{done} {what}.", messages.SUCCESS)
    for error in errors:
        modeladmin.message_user(request, error, messages.ERROR)


# --- schedules ------------------------------------------------------------------------------------


class ScheduleForm(forms.ModelForm):
    """Validates the cron expression (croniter) and the time zone, and computes next_run, like
    flow.services.create_schedule."""

    class Meta:
        model = Schedule
        fields = [
            "workflow",
            "name",
            "description",
            "cron_expression",
            "interval_minutes",
            "is_active",
            "timezone",
        ]
        fields += ["start_date", "end_date", "max_runs"]

    def clean(self):
        cleaned = super().clean()
        cron = (cleaned.get("cron_expression") or "").strip() or None
        interval = cleaned.get("interval_minutes")
        if cron and interval:
            raise ValidationError("Give a cron expression or an interval, not both.")
        if not cron and not interval:
            raise ValidationError("A schedule needs a cron expression or an interval in minutes.")
        try:
            if cron:
                cleaned["cron_expression"] = services.validate_cron_expression(cron_expression=cron)
            services.validate_timezone(timezone=cleaned.get("timezone"))
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                self.add_error(field if field in self.fields else None, problems)
            return cleaned
        if cleaned.get("is_active", True):
            self.instance.next_run = services.next_run_after(
                after=timezone.now(),
                cron_expression=cleaned.get("cron_expression"),
                interval_minutes=interval,
                timezone_name=cleaned["timezone"],
                start_date=cleaned.get("start_date"),
                end_date=cleaned.get("end_date"),
            )
        else:
            self.instance.next_run = None
        return cleaned


SCHEDULE_SYSTEM_FIELDS = ["current_runs", "last_run", "next_run"]


class ScheduleInline(TekupTabularInline):
    model = Schedule
    form = ScheduleForm
    fields = [
        "name",
        "cron_expression",
        "interval_minutes",
        "timezone",
        "is_active",
        "next_run",
        "current_runs",
    ]
    readonly_fields = ["next_run", "current_runs"]


@admin.register(Schedule)
class ScheduleAdmin(TekupModelAdmin):
    form = ScheduleForm
    list_display = [
        "name",
        "workflow",
        "cron_expression",
        "interval_minutes",
        "timezone",
        "is_active",
        "next_run",
    ]
    list_filter = ["is_active", "timezone"]
    search_fields = ["name", "description", "cron_expression", "workflow__name"]
    list_select_related = ["workflow"]
    autocomplete_fields = ["workflow"]
    readonly_fields = SCHEDULE_SYSTEM_FIELDS


# --- workflows ------------------------------------------------------------------------------------


WORKFLOW_COUNTERS = [
    "execution_count",
    "success_count",
    "failure_count",
    "avg_duration_ms",
    "last_executed_at",
]


@admin.register(Workflow)
class WorkflowAdmin(TekupModelAdmin):
    list_display = ["name", "status", "is_template", "owner", *WORKFLOW_COUNTERS]
    list_filter = ["status", "is_template"]
    search_fields = ["name", "description", "owner"]
    list_select_related = ["template"]
    autocomplete_fields = ["template"]
    readonly_fields = ["status", *WORKFLOW_COUNTERS, "created_at", "updated_at"]
    inlines = [ScheduleInline]
    actions = ["activate", "pause", "archive", "execute_now"]

    @admin.action(permissions=["change"], description="Activate")
    def activate(self, request, queryset):
        _run_on_each(self, request, queryset, lambda w: services.activate_workflow(workflow=w), "activated")

    @admin.action(permissions=["change"], description="Pause")
    def pause(self, request, queryset):
        _run_on_each(self, request, queryset, lambda w: services.pause_workflow(workflow=w), "paused")

    @admin.action(permissions=["change"], description="Archive")
    def archive(self, request, queryset):
        _run_on_each(self, request, queryset, lambda w: services.archive_workflow(workflow=w), "archived")

    @admin.action(permissions=["change"], description="Execute now")
    def execute_now(self, request, queryset):
        def run(workflow):
            services.execute_workflow(workflow=workflow, triggered_by=f"admin:{request.user.get_username()}")

        _run_on_each(self, request, queryset, run, "execution(s) started")


# --- executions -----------------------------------------------------------------------------------


class ExecutionStepInline(TekupTabularInline):
    model = ExecutionStep
    fields = [
        "step_id",
        "step_name",
        "step_type",
        "status",
        "attempt_number",
        "started_at",
        "duration_ms",
        "error",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ExecutionLogInline(TekupTabularInline):
    model = ExecutionLog
    fields = ["timestamp", "level", "step_id", "message"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ExecutionAddForm(forms.ModelForm):
    class Meta:
        model = Execution
        fields = ["workflow", "input", "triggered_by", "metadata"]

    def clean_workflow(self):
        workflow = self.cleaned_data["workflow"]
        if workflow.status != Workflow.Status.ACTIVE:
            raise ValidationError(
                f"Workflow '{workflow.name}' is {workflow.status}; only an active one runs."
            )
        return workflow


EXECUTION_SYSTEM_FIELDS = [
    "workflow",
    "status",
    "current_step",
    "completed_steps",
    "failed_step",
    "started_at",
    "completed_at",
    "duration_ms",
    "triggered_by",
]


@admin.register(Execution)
class ExecutionAdmin(TekupModelAdmin):
    list_display = ["started_at", "workflow", "status", "duration_ms", "current_step", "triggered_by"]
    list_filter = ["status"]
    search_fields = ["workflow__name", "triggered_by", "error", "current_step"]
    list_select_related = ["workflow"]
    autocomplete_fields = ["workflow"]
    date_hierarchy = "started_at"
    inlines = [ExecutionStepInline, ExecutionLogInline]
    actions = ["cancel"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ExecutionAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["workflow", "input", "triggered_by", "metadata"]
        return [*EXECUTION_SYSTEM_FIELDS, "input", "output", "error", "metadata"]

    def get_readonly_fields(self, request, obj=None):
        # What the run itself writes stays as it ran; staff may annotate input/output/error/metadata.
        return EXECUTION_SYSTEM_FIELDS if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        started = services.execute_workflow(
            workflow=obj.workflow,
            input=obj.input,
            triggered_by=obj.triggered_by or f"admin:{request.user.get_username()}",
            metadata=obj.metadata,
        )
        obj.pk, obj.started_at, obj.status = started.pk, started.started_at, started.status
        obj._state.adding = False

    @admin.action(permissions=["change"], description="Cancel running executions")
    def cancel(self, request, queryset):
        _run_on_each(
            self,
            request,
            queryset,
            lambda e: services.finish_execution(execution=e, status=Execution.Status.CANCELLED),
            "execution(s) cancelled",
        )


@admin.register(ExecutionStep)
class ExecutionStepAdmin(TekupModelAdmin):
    list_display = [
        "step_name",
        "step_id",
        "status",
        "attempt_number",
        "execution",
        "duration_ms",
        "started_at",
    ]
    list_filter = ["status", "step_type"]
    search_fields = ["step_id", "step_name", "step_type", "error", "execution__workflow__name"]
    list_select_related = ["execution__workflow"]
    autocomplete_fields = ["execution"]


@admin.register(ExecutionLog)
class ExecutionLogAdmin(TekupModelAdmin):
    list_display = ["timestamp", "level", "message", "step_id", "execution"]
    list_filter = ["level"]
    search_fields = ["message", "step_id", "execution__workflow__name"]
    list_select_related = ["execution__workflow"]
    autocomplete_fields = ["execution"]
    date_hierarchy = "timestamp"


# --- webhooks, integrations -----------------------------------------------------------------------


class WebhookForm(forms.ModelForm):
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted and never shown. Leave blank to keep the current secret.",
    )
    remove_secret = forms.BooleanField(required=False, help_text="Remove the current secret.")

    class Meta:
        model = Webhook
        fields = ["workflow", "name", "url", "method", "allowed_ips", "is_active"]

    def clean_allowed_ips(self):
        try:
            return services.clean_allowed_ips(allowed_ips=self.cleaned_data.get("allowed_ips"))
        except ValidationError as error:  # keyed by the argument; a field's clean raises plain messages
            raise ValidationError(error.messages) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_secret"):
            self.instance.secret = crypto.encrypt(cleaned["new_secret"])
        elif cleaned.get("remove_secret"):
            self.instance.secret = None
        return cleaned


@admin.register(Webhook)
class WebhookAdmin(TekupModelAdmin):
    form = WebhookForm
    fields = [
        "workflow",
        "name",
        "url",
        "method",
        "secret_status",
        "new_secret",
        "remove_secret",
        "allowed_ips",
        "is_active",
        "request_count",
        "last_request_at",
    ]
    list_display = ["name", "url", "method", "workflow", "is_active", "secret_status", "request_count"]
    list_filter = ["is_active", "method"]
    search_fields = ["name", "url", "workflow__name"]
    list_select_related = ["workflow"]
    autocomplete_fields = ["workflow"]
    readonly_fields = ["secret_status", "request_count", "last_request_at"]

    @admin.display(description="secret")
    def secret_status(self, webhook):
        return crypto.mask(webhook.secret)


@admin.register(Integration)
class IntegrationAdmin(TekupModelAdmin):
    list_display = ["name", "type", "status", "owner", "usage_count", "last_used_at"]
    list_filter = ["status", "type"]
    search_fields = ["name", "type", "owner", "last_error"]
    readonly_fields = ["usage_count", "last_used_at"]


# --- variables ------------------------------------------------------------------------------------


class VariableForm(forms.ModelForm):
    """The value through flow.services.stored_variable_value: checked against the type, encrypted when
    secret. A secret's value is write-only: blank keeps it."""

    plain_value = forms.CharField(
        label="Value", required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = Variable
        fields = ["workflow", "key", "type", "is_secret", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.was_secret = bool(self.instance.pk and self.instance.is_secret)
        if self.was_secret:
            self.fields["plain_value"].widget = forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            )
            self.fields[
                "plain_value"
            ].help_text = "Secret: stored encrypted, never shown. Blank keeps the value."
        elif self.instance.pk:
            self.initial["plain_value"] = self.instance.value

    def clean(self):
        cleaned = super().clean()
        value, type_, is_secret = (
            cleaned.get("plain_value", ""),
            cleaned.get("type"),
            cleaned.get("is_secret"),
        )
        if type_ is None:
            return cleaned
        if self.was_secret and value == "":
            if not is_secret:
                self.add_error("plain_value", "Enter the value again to store it unencrypted.")
                return cleaned
            value = crypto.decrypt(self.instance.value)
        try:
            self.instance.value = services.stored_variable_value(value=value, type=type_, is_secret=is_secret)
        except ValidationError as error:
            self.add_error("plain_value", error.message_dict.get("value", error.messages))
        return cleaned


@admin.register(Variable)
class VariableAdmin(TekupModelAdmin):
    form = VariableForm
    fields = ["workflow", "key", "type", "is_secret", "plain_value", "description"]
    list_display = ["key", "workflow", "type", "shown_value", "is_secret"]
    list_filter = ["is_secret", "type"]
    search_fields = ["key", "description", "workflow__name"]
    list_select_related = ["workflow"]
    autocomplete_fields = ["workflow"]

    @admin.display(description="value")
    def shown_value(self, variable):
        if variable.is_secret:
            return crypto.mask(variable.value)
        return variable.value if len(variable.value) <= 80 else f"{variable.value[:77]}…"


@admin.register(FlowMetric)
class FlowMetricAdmin(TekupModelAdmin):
    list_display = ["date", "metric", "value", "workflow"]
    list_filter = ["metric"]
    search_fields = ["metric", "workflow__name"]
    list_select_related = ["workflow"]
    autocomplete_fields = ["workflow"]
    date_hierarchy = "date"
