"""flow's demo data (`flow.demo`) is made by flow's factories: the rows people look at are factory
builds, and the factories' rules (edges, durations, next runs, stored values) hold in the seeded rows."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import factory
from django.utils import timezone

from flow import factories, services
from flow.models import (
    Execution,
    ExecutionStep,
    Integration,
    Schedule,
    Variable,
    Webhook,
    Workflow,
)
from flow.timekeeping import elapsed_ms
from operations.seeding import run_seed
from shared import crypto

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_the_rows_people_look_at_are_factory_builds(db, monkeypatch):
    builds = Counter()
    build = factory.base.BaseFactory.build.__func__

    def counted(cls, **values):
        builds[cls._meta.model] += 1
        return build(cls, **values)

    monkeypatch.setattr(factory.base.BaseFactory, "build", classmethod(counted))

    run_seed(size="small", apps=["flow"], now=NOW)

    for model in (Workflow, Execution, Schedule, Webhook, Integration, Variable):
        assert builds[model] == model.objects.count() > 0, model.__name__


def test_the_factories_rules_hold_in_the_seeded_rows(db):
    run_seed(size="small", apps=["flow"], now=NOW)

    for workflow in Workflow.objects.all():
        assert workflow.edges == factories.chained(workflow.nodes)
    # Executions are factory builds, their steps plain rows: one rule for both.
    for row in [*Execution.objects.all(), *ExecutionStep.objects.all()]:
        assert row.duration_ms == elapsed_ms(row.started_at, row.completed_at)
    assert Execution.objects.filter(duration_ms__isnull=False).exists()
    tomorrow = dt.datetime.combine(NOW.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    for schedule in Schedule.objects.all():
        expected = services.next_run_after(
            after=tomorrow,
            cron_expression=schedule.cron_expression,
            interval_minutes=schedule.interval_minutes,
            timezone_name=schedule.timezone,
            start_date=schedule.start_date,
            end_date=schedule.end_date,
        )
        assert schedule.next_run == (expected if schedule.is_active else None)
    assert Variable.objects.get(workflow=None, key="MOMS_SATS").value == "25"
    assert all(crypto.decrypt(webhook.secret).startswith("demo-") for webhook in Webhook.objects.all())


def test_the_factories_derive_what_the_services_would_store():
    after = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    nodes = [{"id": "a"}, {"id": "b"}, {"id": "c"}]

    edges = factories.WorkflowFactory.build(nodes=nodes).edges
    assert edges == [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}]
    schedule = factories.ScheduleFactory.build(after=after, cron_expression=None, interval_minutes=15)
    assert schedule.next_run == after + dt.timedelta(minutes=15)
    assert factories.ScheduleFactory.build(after=after, is_active=False).next_run is None
    started = timezone.now()
    finished = factories.ExecutionFactory.build(
        status=Execution.Status.COMPLETED,
        started_at=started,
        completed_at=started + dt.timedelta(seconds=1.5),
    )
    assert (finished.duration_ms, factories.ExecutionFactory.build().duration_ms) == (1500, None)
    number = factories.VariableFactory.build(plain_value=Decimal("349.00"), type=Variable.Type.NUMBER)
    assert number.value == "349.00"
    secret = factories.VariableFactory.build(plain_value="pw", is_secret=True)
    assert secret.value != "pw" and crypto.decrypt(secret.value) == "pw"
    assert crypto.decrypt(factories.WebhookFactory.build(plain_secret="s3cret").secret) == "s3cret"
