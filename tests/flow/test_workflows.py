from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from flow import services
from flow.factories import ExecutionFactory, ScheduleFactory, WorkflowFactory
from flow.models import Execution, ExecutionLog, ExecutionStep, Schedule, Workflow


def _workflow(**fields) -> Workflow:
    return services.create_workflow(
        name="Booking", owner="ops@tekup.dk", nodes=[{"id": "a", "type": "email"}], **fields
    )


def test_create_workflow_is_a_draft_with_zero_counters(db):
    workflow = _workflow(description="Sender bekræftelser")

    stored = Workflow.objects.get(pk=workflow.pk)
    assert (stored.status, stored.timeout, stored.retry_attempts) == ("draft", 3600, 3)
    assert (stored.execution_count, stored.success_count, stored.failure_count, stored.avg_duration_ms) == (
        0,
        0,
        0,
        None,
    )


def test_create_workflow_from_a_template_copies_its_graph(db):
    template = services.create_workflow(
        name="Skabelon", owner="o", is_template=True, trigger={"type": "cron"}, nodes=[{"id": "x"}], edges=[]
    )

    workflow = services.create_workflow(name="Fra skabelon", owner="o", template=template)

    assert (workflow.template, workflow.trigger, workflow.nodes) == (
        template,
        {"type": "cron"},
        [{"id": "x"}],
    )
    with pytest.raises(ValidationError, match="is not a template"):
        services.create_workflow(name="Nej", owner="o", template=workflow)


def test_life_cycle_draft_active_paused_active_archived(db):
    workflow = _workflow()

    assert services.activate_workflow(workflow=workflow).status == "active"
    assert services.pause_workflow(workflow=workflow).status == "paused"
    assert services.activate_workflow(workflow=workflow).status == "active"
    assert services.archive_workflow(workflow=workflow).status == "archived"
    assert Workflow.objects.get(pk=workflow.pk).status == "archived"


def test_an_archived_workflow_cannot_be_activated_or_paused(db):
    workflow = _workflow()
    services.archive_workflow(workflow=workflow)

    with pytest.raises(
        ValidationError, match="is archived; only a draft or paused workflow can become active"
    ):
        services.activate_workflow(workflow=workflow)
    with pytest.raises(ValidationError, match="only a active workflow can become paused"):
        services.pause_workflow(workflow=workflow)
    with pytest.raises(ValidationError, match="is archived"):
        services.archive_workflow(workflow=workflow)


def test_a_draft_cannot_be_paused(db):
    with pytest.raises(ValidationError, match="is draft"):
        services.pause_workflow(workflow=_workflow())


def test_a_workflow_without_nodes_cannot_be_activated(db):
    workflow = services.create_workflow(name="Tom", owner="o")

    with pytest.raises(ValidationError, match="has no nodes"):
        services.activate_workflow(workflow=workflow)
    assert Workflow.objects.get(pk=workflow.pk).status == "draft"


def test_archiving_stops_the_schedules(db):
    schedule = ScheduleFactory(workflow=WorkflowFactory(), is_active=True)

    services.archive_workflow(workflow=schedule.workflow)

    schedule.refresh_from_db()
    assert (schedule.is_active, schedule.next_run) == (False, None)


def test_execute_an_active_workflow(db):
    workflow = _workflow()
    services.activate_workflow(workflow=workflow)

    execution = services.execute_workflow(workflow=workflow, input={"booking": 7}, triggered_by="webhook")

    stored = Execution.objects.get(pk=execution.pk)
    assert (stored.status, stored.input, stored.triggered_by, stored.completed_at) == (
        "running",
        {"booking": 7},
        "webhook",
        None,
    )
    assert Workflow.objects.get(pk=workflow.pk).last_executed_at == stored.started_at


@pytest.mark.parametrize("how", ["draft", "paused", "archived"])
def test_only_an_active_workflow_runs(db, how):
    workflow = _workflow()
    if how != "draft":
        services.activate_workflow(workflow=workflow)
        {"paused": services.pause_workflow, "archived": services.archive_workflow}[how](workflow=workflow)

    with pytest.raises(ValidationError, match=f"is {how}; only an active workflow can be executed"):
        services.execute_workflow(workflow=workflow)
    assert not Execution.objects.exists()


def test_execute_checks_the_stored_status_not_a_stale_object(db):
    workflow = WorkflowFactory(status="active")
    stale = Workflow.objects.get(pk=workflow.pk)
    services.pause_workflow(workflow=workflow)

    with pytest.raises(ValidationError, match="is paused"):
        services.execute_workflow(workflow=stale)


def test_record_step_moves_through_states_and_updates_the_execution(db):
    execution = ExecutionFactory()
    started = timezone.now() - timedelta(seconds=3)

    services.record_step(
        execution=execution,
        step_id="mail",
        step_name="Send",
        step_type="email",
        status="running",
        started_at=started,
    )
    execution.refresh_from_db()
    assert (execution.current_step, execution.completed_steps) == ("mail", [])

    step = services.record_step(
        execution=execution, step_id="mail", step_name="Send", step_type="email", output={"sent": True}
    )
    services.record_step(execution=execution, step_id="mail", step_name="Send", step_type="email")

    execution.refresh_from_db()
    stored = ExecutionStep.objects.get()
    assert stored.pk == step.pk
    assert (stored.status, stored.started_at, stored.output) == ("completed", started, {"sent": True})
    assert 3000 <= stored.duration_ms < 60_000
    assert execution.completed_steps == ["mail"]


def test_record_step_failure_sets_failed_step_and_keeps_attempts_apart(db):
    execution = ExecutionFactory()

    services.record_step(
        execution=execution,
        step_id="pay",
        step_name="Betal",
        step_type="http",
        status="failed",
        error="timeout",
    )
    services.record_step(
        execution=execution, step_id="pay", step_name="Betal", step_type="http", attempt_number=2
    )

    execution.refresh_from_db()
    assert execution.failed_step == "pay" and execution.completed_steps == ["pay"]
    assert list(ExecutionStep.objects.order_by("attempt_number").values_list("attempt_number", "status")) == [
        (1, "failed"),
        (2, "completed"),
    ]
    with pytest.raises(ValidationError, match="outside 1..3"):
        services.record_step(
            execution=execution, step_id="pay", step_name="B", step_type="http", attempt_number=4
        )


def test_record_step_refuses_a_finished_execution_and_a_bad_status(db):
    execution = ExecutionFactory()
    with pytest.raises(ValidationError, match="'done' is not a status"):
        services.record_step(execution=execution, step_id="a", step_name="A", step_type="t", status="done")
    services.finish_execution(execution=execution, status="completed")

    with pytest.raises(ValidationError, match="is completed; steps are recorded while it runs"):
        services.record_step(execution=execution, step_id="a", step_name="A", step_type="t")
    assert not ExecutionStep.objects.exists()


def test_log_execution(db):
    execution = ExecutionFactory()

    entry = services.log_execution(
        execution=execution, level="warning", message="Langsom SMTP", data={"ms": 900}
    )

    stored = ExecutionLog.objects.get(pk=entry.pk)
    assert (stored.level, stored.message, stored.data, stored.execution) == (
        "warning",
        "Langsom SMTP",
        {"ms": 900},
        execution,
    )
    with pytest.raises(ValidationError, match="level"):
        services.log_execution(execution=execution, level="loud", message="x")


def test_finish_execution_counts_and_averages(db):
    workflow = WorkflowFactory()
    durations = [1000, 3000, 5000]
    statuses = ["completed", "failed", "cancelled"]
    for duration, status in zip(durations, statuses, strict=True):
        execution = ExecutionFactory(
            workflow=workflow, started_at=timezone.now() - timedelta(milliseconds=duration)
        )
        finished = services.finish_execution(
            execution=execution, status=status, output={"ok": status}, error=None
        )
        assert finished.status == status and finished.completed_at is not None
        assert duration <= finished.duration_ms < duration + 5000

    workflow.refresh_from_db()
    recorded = list(Execution.objects.filter(workflow=workflow).values_list("duration_ms", flat=True))
    assert (workflow.execution_count, workflow.success_count, workflow.failure_count) == (3, 1, 1)
    assert workflow.avg_duration_ms == pytest.approx(sum(recorded) / 3, abs=1e-6)


def test_finish_execution_keeps_the_average_of_an_imported_history(db):
    workflow = WorkflowFactory(execution_count=4, success_count=4, avg_duration_ms=1000.0)
    execution = ExecutionFactory(workflow=workflow, started_at=timezone.now() - timedelta(seconds=6))

    finished = services.finish_execution(execution=execution, status="completed")

    workflow.refresh_from_db()
    assert workflow.avg_duration_ms == pytest.approx((4 * 1000 + finished.duration_ms) / 5)


def test_finish_execution_refuses_twice_and_bad_status(db):
    execution = ExecutionFactory()
    with pytest.raises(ValidationError, match="finishes as completed, failed, cancelled, not 'running'"):
        services.finish_execution(execution=execution, status="running")
    services.finish_execution(execution=execution, status="failed", error="boom")

    with pytest.raises(ValidationError, match=r"already finished \(failed\)"):
        services.finish_execution(execution=execution, status="completed")
    execution.workflow.refresh_from_db()
    assert (execution.workflow.execution_count, execution.workflow.failure_count) == (1, 1)
    assert Execution.objects.get(pk=execution.pk).error == "boom"


def test_schedule_factory_row_is_valid(db):
    schedule = ScheduleFactory()
    schedule.full_clean()
    assert Schedule.objects.count() == 1
