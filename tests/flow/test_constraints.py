"""The database keeps flow's rules, also for the services that write these tables in plain SQL."""

import pytest
from django.db import IntegrityError, connection, transaction

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


def _fails(sql: str, params=()) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


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
        (ExecutionFactory, "executions", "status", "pending"),
        (ExecutionStepFactory, "execution_steps", "status", "done"),
        (ExecutionLogFactory, "execution_logs", "level", "fatal"),
        (WebhookFactory, "webhooks", "method", "TRACE"),
        (IntegrationFactory, "integrations", "status", "broken"),
    ],
)
def test_choices_are_checked_by_the_database(db, factory, table, column, bad):
    row = factory()

    _fails(f'UPDATE "flow"."{table}" SET {column} = %s WHERE id = %s', [bad, row.pk])


def test_counters_cannot_claim_more_outcomes_than_executions(db):
    workflow = WorkflowFactory()

    _fails('UPDATE "flow"."workflows" SET success_count = 1 WHERE id = %s', [workflow.pk])
    _fails('UPDATE "flow"."workflows" SET execution_count = -1 WHERE id = %s', [workflow.pk])


def test_a_finished_execution_has_a_completion_time_and_a_running_one_none(db):
    execution = ExecutionFactory()

    _fails('UPDATE "flow"."executions" SET status = \'completed\' WHERE id = %s', [execution.pk])
    _fails('UPDATE "flow"."executions" SET completed_at = now() WHERE id = %s', [execution.pk])


@pytest.mark.parametrize(
    ("cron", "interval"),
    [("NULL", "NULL"), ("'* * * * *'", "5"), ("NULL", "0")],
    ids=["none", "both", "zero"],
)
def test_a_schedule_needs_exactly_one_of_cron_and_interval(db, cron, interval):
    schedule = ScheduleFactory()

    _fails(
        f'UPDATE "flow"."schedules" SET cron_expression = {cron}, interval_minutes = {interval} '
        "WHERE id = %s",
        [schedule.pk],
    )


def test_webhook_url_is_unique(db):
    WebhookFactory(url="/hooks/x")

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookFactory(url="/hooks/x")


def test_step_attempt_is_unique_per_execution(db):
    step = ExecutionStepFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ExecutionStepFactory(
            execution=step.execution, step_id=step.step_id, attempt_number=step.attempt_number
        )
    ExecutionStepFactory(execution=step.execution, step_id=step.step_id, attempt_number=2)


def test_metric_is_unique_per_date_metric_and_workflow_including_the_global_one(db):
    per_workflow = FlowMetricFactory()
    overall = FlowMetricFactory(workflow=None, date=per_workflow.date, metric=per_workflow.metric)

    with pytest.raises(IntegrityError), transaction.atomic():
        FlowMetricFactory(workflow=per_workflow.workflow, date=per_workflow.date, metric=per_workflow.metric)
    with pytest.raises(IntegrityError), transaction.atomic():
        FlowMetricFactory(workflow=None, date=overall.date, metric=overall.metric)


def test_deleting_a_workflow_deletes_its_runs(db):
    step = ExecutionStepFactory()
    ExecutionLogFactory(execution=step.execution)

    step.execution.workflow.delete()

    assert not type(step).objects.exists()
    assert not type(step.execution).objects.exists()
