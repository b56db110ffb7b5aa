"""Models of the flow schema; every table is `db_table = 'flow"."<table>'`.

The columns follow DATA_MODEL.md (flow). Choices are enforced by check constraints; the workflow's
counters are written only by `flow.services.finish_execution`, in one UPDATE. Secret variable values
and webhook secrets are stored as `shared.crypto` tokens, never in the clear.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from shared.fields import EncryptedTextField, token_constraint
from shared.models import TekupModel, choices_check


class WorkflowStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class Workflow(TekupModel):
    Status = WorkflowStatus

    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    is_template = models.BooleanField(default=False, db_default=False)
    template = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived_workflows",
        help_text="The template this workflow was made from.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_default=Status.DRAFT
    )
    trigger = models.JSONField(default=dict, db_default={}, blank=True)
    nodes = models.JSONField(default=list, db_default=[], blank=True)
    edges = models.JSONField(default=list, db_default=[], blank=True)
    timeout = models.PositiveIntegerField(default=3600, db_default=3600, help_text="Seconds.")
    retry_attempts = models.PositiveSmallIntegerField(default=3, db_default=3)
    owner = models.CharField(max_length=255)
    execution_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    success_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    failure_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    avg_duration_ms = models.FloatField(null=True, blank=True, editable=False)
    last_executed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = 'flow"."workflows'
        ordering = ["name"]
        constraints = [
            choices_check("flow_workflows", "status", WorkflowStatus),
            models.CheckConstraint(condition=models.Q(timeout__gt=0), name="flow_workflows_timeout_positive"),
            models.CheckConstraint(
                condition=models.Q(
                    success_count__lte=models.F("execution_count") - models.F("failure_count")
                ),
                name="flow_workflows_outcomes_within_executions",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="flow_workflows_status_idx")]

    def __str__(self):
        return self.name


class ExecutionStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Execution(TekupModel):
    Status = ExecutionStatus

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="executions")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RUNNING, db_default=Status.RUNNING
    )
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.TextField(null=True, blank=True)
    current_step = models.CharField(max_length=255, null=True, blank=True)
    completed_steps = ArrayField(models.CharField(max_length=255), default=list, db_default=[], blank=True)
    failed_step = models.CharField(max_length=255, null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now, db_default=Now())
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.BigIntegerField(null=True, blank=True)
    triggered_by = models.CharField(max_length=255, null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'flow"."executions'
        ordering = ["-started_at"]
        constraints = [
            choices_check("flow_executions", "status", ExecutionStatus),
            models.CheckConstraint(
                condition=models.Q(status="running", completed_at__isnull=True)
                | (~models.Q(status="running") & models.Q(completed_at__isnull=False)),
                name="flow_executions_completed_at_iff_finished",
                violation_error_message="A running execution has no completion time; a finished one has.",
            ),
        ]
        indexes = [
            models.Index(fields=["workflow", "-started_at"], name="flow_executions_wf_started_idx"),
            models.Index(fields=["status"], name="flow_executions_status_idx"),
        ]

    def __str__(self):
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M:%S} · {self.status}"


class ExecutionStepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class ExecutionStep(TekupModel):
    Status = ExecutionStepStatus

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="steps")
    step_id = models.CharField(max_length=255)
    step_name = models.CharField(max_length=255)
    step_type = models.CharField(max_length=100)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING
    )
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.TextField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.BigIntegerField(null=True, blank=True)
    attempt_number = models.PositiveSmallIntegerField(default=1, db_default=1)
    max_attempts = models.PositiveSmallIntegerField(default=3, db_default=3)

    class Meta:
        db_table = 'flow"."execution_steps'
        ordering = ["started_at", "created_at"]
        constraints = [
            choices_check("flow_execution_steps", "status", ExecutionStepStatus),
            models.UniqueConstraint(
                fields=["execution", "step_id", "attempt_number"], name="flow_execution_steps_attempt_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(attempt_number__gte=1), name="flow_execution_steps_attempt_positive"
            ),
        ]

    def __str__(self):
        return f"{self.step_name} (attempt {self.attempt_number}, {self.status})"


class ExecutionLogLevel(models.TextChoices):
    DEBUG = "debug", "Debug"
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class ExecutionLog(TekupModel):
    Level = ExecutionLogLevel

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="logs")
    level = models.CharField(max_length=10, choices=Level.choices)
    message = models.TextField()
    data = models.JSONField(null=True, blank=True)
    step_id = models.CharField(max_length=255, null=True, blank=True)
    timestamp = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = 'flow"."execution_logs'
        ordering = ["timestamp"]
        constraints = [choices_check("flow_execution_logs", "level", ExecutionLogLevel)]
        indexes = [models.Index(fields=["execution", "timestamp"], name="flow_execution_logs_exec_idx")]

    def __str__(self):
        return f"[{self.level}] {self.message[:60]}"


class Schedule(TekupModel):
    """Runs a workflow by a cron expression or every `interval_minutes` (exactly one of the two)."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    cron_expression = models.CharField(
        max_length=100, null=True, blank=True, help_text="Five fields: minute hour day month weekday."
    )
    interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True, db_default=True)
    timezone = models.CharField(
        max_length=64, default="Europe/Copenhagen", db_default="Europe/Copenhagen", help_text="IANA name."
    )
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    max_runs = models.PositiveIntegerField(null=True, blank=True)
    current_runs = models.PositiveIntegerField(default=0, db_default=0)
    last_run = models.DateTimeField(null=True, blank=True)
    next_run = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = 'flow"."schedules'
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cron_expression__isnull=False, interval_minutes__isnull=True)
                | models.Q(cron_expression__isnull=True, interval_minutes__isnull=False),
                name="flow_schedules_cron_xor_interval",
                violation_error_message="A schedule needs either a cron expression or an interval, not both.",
            ),
            models.CheckConstraint(
                condition=models.Q(interval_minutes__isnull=True) | models.Q(interval_minutes__gt=0),
                name="flow_schedules_interval_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(end_date__isnull=True)
                | models.Q(end_date__gt=models.F("start_date")),
                name="flow_schedules_end_after_start",
                violation_error_message="The end date must come after the start date.",
            ),
        ]
        indexes = [models.Index(fields=["is_active", "next_run"], name="flow_schedules_due_idx")]

    def __str__(self):
        return self.name


class WebhookMethod(models.TextChoices):
    GET = "GET", "GET"
    POST = "POST", "POST"
    PUT = "PUT", "PUT"
    PATCH = "PATCH", "PATCH"
    DELETE = "DELETE", "DELETE"


class Webhook(TekupModel):
    Method = WebhookMethod

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=255)
    url = models.CharField(max_length=500, unique=True)
    method = models.CharField(
        max_length=10, choices=Method.choices, default=Method.POST, db_default=Method.POST
    )
    secret = EncryptedTextField(null=True, blank=True, help_text="Encrypted at rest; never shown.")
    allowed_ips = ArrayField(
        models.CharField(max_length=64),
        default=list,
        db_default=[],
        blank=True,
        help_text="Addresses or CIDR.",
    )
    is_active = models.BooleanField(default=True, db_default=True)
    request_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    last_request_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = 'flow"."webhooks'
        ordering = ["name"]
        constraints = [
            choices_check("flow_webhooks", "method", WebhookMethod),
            token_constraint("secret", name="flow_webhooks_secret_encrypted"),
        ]

    def __str__(self):
        return self.name


class IntegrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ERROR = "error", "Error"


class Integration(TekupModel):
    Status = IntegrationStatus

    name = models.CharField(max_length=255)
    type = models.CharField(max_length=100, help_text="e.g. slack, email, http, billy.")
    config = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE, db_default=Status.ACTIVE
    )
    last_error = models.TextField(null=True, blank=True)
    owner = models.CharField(max_length=255)
    usage_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = 'flow"."integrations'
        ordering = ["name"]
        constraints = [choices_check("flow_integrations", "status", IntegrationStatus)]

    def __str__(self):
        return f"{self.name} ({self.type})"


class VariableType(models.TextChoices):
    STRING = "string", "String"
    NUMBER = "number", "Number"
    BOOLEAN = "boolean", "Boolean"
    JSON = "json", "JSON"


class Variable(TekupModel):
    """A named value for one workflow, or a global one (workflow NULL). Secret values are encrypted."""

    Type = VariableType

    workflow = models.ForeignKey(
        Workflow, null=True, blank=True, on_delete=models.CASCADE, related_name="variables"
    )
    key = models.CharField(max_length=255)
    # A token when is_secret, plain text otherwise (see shared.fields).
    value = EncryptedTextField(blank=True, encrypted_when="is_secret")
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.STRING, db_default=Type.STRING)
    is_secret = models.BooleanField(default=False, db_default=False)
    description = models.TextField(null=True, blank=True)

    class Meta:
        db_table = 'flow"."variables'
        ordering = ["key"]
        constraints = [
            choices_check("flow_variables", "type", VariableType),
            token_constraint("value", name="flow_variables_secret_encrypted", encrypted_when="is_secret"),
            # NULLS NOT DISTINCT: two globals (workflow NULL) with one key collide too.
            models.UniqueConstraint(
                fields=["workflow", "key"],
                nulls_distinct=False,
                name="flow_variables_workflow_key_uniq",
                violation_error_message="A variable with this key already exists in this scope.",
            ),
        ]

    def __str__(self):
        return self.key


class FlowMetric(TekupModel):
    """A daily figure of a workflow, or of all of them (workflow NULL)."""

    date = models.DateField()
    metric = models.CharField(max_length=100)
    value = models.FloatField()
    workflow = models.ForeignKey(
        Workflow, null=True, blank=True, on_delete=models.CASCADE, related_name="metrics"
    )
    metadata = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = 'flow"."metrics'
        verbose_name = "flow metric"
        ordering = ["-date", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "metric", "workflow"],
                nulls_distinct=False,
                name="flow_metrics_date_metric_wf_uniq",
            )
        ]

    def __str__(self):
        return f"{self.date} {self.metric}"
