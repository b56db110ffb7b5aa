"""finish_execution under concurrent callers, each on its own database connection."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from flow import services
from flow.factories import ExecutionFactory, WorkflowFactory
from flow.models import Execution, Workflow
from tests.support.concurrency import run_together

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_finishes_on_one_workflow_give_exact_counters_and_a_true_average():
    workflow = WorkflowFactory()
    now = timezone.now()
    executions = [
        ExecutionFactory(workflow=workflow, started_at=now - timedelta(milliseconds=500 * (i + 1)))
        for i in range(THREADS)
    ]
    statuses = ["completed", "failed", "completed", "cancelled"] * (THREADS // 4)

    outcomes = run_together(
        [
            (lambda e=execution, s=status: services.finish_execution(execution=e, status=s))
            for execution, status in zip(executions, statuses, strict=True)
        ]
    )

    assert all(isinstance(outcome, Execution) for outcome in outcomes), outcomes
    workflow = Workflow.objects.get(pk=workflow.pk)
    durations = list(Execution.objects.filter(workflow=workflow).values_list("duration_ms", flat=True))
    assert None not in durations
    assert workflow.execution_count == THREADS
    assert workflow.success_count == statuses.count("completed")
    assert workflow.failure_count == statuses.count("failed")
    assert workflow.avg_duration_ms == pytest.approx(sum(durations) / THREADS, rel=1e-12)


@pytest.mark.django_db(transaction=True)
def test_one_execution_finished_concurrently_counts_once():
    execution = ExecutionFactory()

    outcomes = run_together(
        [lambda: services.finish_execution(execution=execution, status="completed") for _ in range(THREADS)],
        return_exceptions=True,
    )

    finished = [outcome for outcome in outcomes if isinstance(outcome, Execution)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert (len(finished), len(refused)) == (1, THREADS - 1), outcomes
    assert all("already finished" in str(error) for error in refused)
    workflow = Workflow.objects.get(pk=execution.workflow_id)
    assert (workflow.execution_count, workflow.success_count) == (1, 1)
    assert workflow.avg_duration_ms == Execution.objects.get(pk=execution.pk).duration_ms
