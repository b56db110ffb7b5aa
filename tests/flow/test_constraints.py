"""The database keeps flow's rules, also for the services that write these tables in plain SQL."""

import pytest
from django.db import connection
from django.utils import timezone

from flow.factories import (
    ExecutionFactory,
    ExecutionLogFactory,
    ExecutionStepFactory,
    FlowMetricFactory,
    IntegrationFactory,
    ScheduleFactory,
    WebhookFactory,
    WorkflowFactory,
)
from flow.models import Workflow
from tests.support.constraints import refused_by, refused_sql


def test_plain_sql_insert_of_listed_columns_gets_defaults(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO "flow"."workflows" (name, is_template, status, trigger, nodes, edges, owner)
               VALUES ('SQL', false, 'draft', '{}', '[]', '[]', 'o')"""
        )

    workflow = Workflow.objects.get()
    assert (
        workflow.timeout,
        workflow.retry_attempts,
        workflow.execution_count,
        workflow.avg_duration_ms,
    ) == (
        3600,
        3,
        0,
        None,
    )


@pytest.mark.parametrize(
    ("factory", "table", "column", "bad"),
    [
        (WorkflowFactory, "workflows", "status", "running"),
        # a finished one: "pending" on a running execution would also break completed_at_iff_finished
        (
            lambda: ExecutionFactory(status="completed", completed_at=timezone.now()),
            "executions",
            "status",
            "pending",
        ),
        (ExecutionStepFactory, "execution_steps", "status", "done"),
        (ExecutionLogFactory, "execution_logs", "level", "fatal"),
        (WebhookFactory, "webhooks", "method", "TRACE"),
        (IntegrationFactory, "integrations", "status", "broken"),
    ],
)
def test_choices_are_checked_by_the_database(db, factory, table, column, bad):
    row = factory()

    sql = f'UPDATE "flow"."{table}" SET {column} = %s WHERE id = %s'
    refused_sql(f"flow_{table}_{column}_valid", sql, [bad, row.pk])


def test_counters_cannot_claim_more_outcomes_than_executions(db):
    workflow = WorkflowFactory()

    update = 'UPDATE "flow"."workflows" SET {} WHERE id = %s'
    refused_sql(
        "flow_workflows_outcomes_within_executions", update.format("success_count = 1"), [workflow.pk]
    )
    refused_sql(
        "flow_workflows_outcomes_within_executions", update.format("execution_count = -1"), [workflow.pk]
    )


def test_a_finished_execution_has_a_completion_time_and_a_running_one_none(db):
    execution = ExecutionFactory()

    update = 'UPDATE "flow"."executions" SET {} WHERE id = %s'
    refused_sql(
        "flow_executions_completed_at_iff_finished", update.format("status = 'completed'"), [execution.pk]
    )
    refused_sql(
        "flow_executions_completed_at_iff_finished", update.format("completed_at = now()"), [execution.pk]
    )


@pytest.mark.parametrize(
    ("cron", "interval", "constraint"),
    [
        ("NULL", "NULL", "flow_schedules_cron_xor_interval"),
        ("'* * * * *'", "5", "flow_schedules_cron_xor_interval"),
        ("NULL", "0", "flow_schedules_interval_positive"),
    ],
    ids=["none", "both", "zero"],
)
def test_a_schedule_needs_exactly_one_of_cron_and_interval(db, cron, interval, constraint):
    schedule = ScheduleFactory()

    refused_sql(
        constraint,
        f'UPDATE "flow"."schedules" SET cron_expression = {cron}, interval_minutes = {interval} '
        "WHERE id = %s",
        [schedule.pk],
    )


def test_webhook_url_is_unique(db):
    WebhookFactory(url="/hooks/x")

    with refused_by("webhooks_url_key"):
        WebhookFactory(url="/hooks/x")


def test_step_attempt_is_unique_per_execution(db):
    step = ExecutionStepFactory()

    with refused_by("flow_execution_steps_attempt_uniq"):
        ExecutionStepFactory(
            execution=step.execution, step_id=step.step_id, attempt_number=step.attempt_number
        )
    ExecutionStepFactory(execution=step.execution, step_id=step.step_id, attempt_number=2)


def test_metric_is_unique_per_date_metric_and_workflow_including_the_global_one(db):
    per_workflow = FlowMetricFactory()
    overall = FlowMetricFactory(workflow=None, date=per_workflow.date, metric=per_workflow.metric)

    with refused_by("flow_metrics_date_metric_wf_uniq"):
        FlowMetricFactory(workflow=per_workflow.workflow, date=per_workflow.date, metric=per_workflow.metric)
    with refused_by("flow_metrics_date_metric_wf_uniq"):
        FlowMetricFactory(workflow=None, date=overall.date, metric=overall.metric)


def test_deleting_a_workflow_deletes_its_runs(db):
    step = ExecutionStepFactory()
    ExecutionLogFactory(execution=step.execution)

    step.execution.workflow.delete()

    assert not type(step).objects.exists()
    assert not type(step.execution).objects.exists()
