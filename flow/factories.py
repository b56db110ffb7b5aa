"""factory-boy factories for every flow model (tests and demo data), with Danish fake data."""

from datetime import timedelta

import factory
from django.utils import timezone

from shared import crypto

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


def fake(provider: str, **kwargs):
    return factory.Faker(provider, locale="da_DK", **kwargs)


NODES = [
    {"id": "start", "type": "trigger", "name": "Ny booking"},
    {"id": "mail", "type": "email", "name": "Send bekræftelse"},
]
EDGES = [{"from": "start", "to": "mail"}]


class WorkflowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workflow

    name = factory.Sequence(lambda n: f"Bookingbekræftelse {n}")
    description = fake("sentence")
    status = Workflow.Status.ACTIVE
    trigger = factory.LazyFunction(lambda: {"type": "webhook"})
    nodes = factory.LazyFunction(lambda: [dict(node) for node in NODES])
    edges = factory.LazyFunction(lambda: [dict(edge) for edge in EDGES])
    owner = "ops@tekup.dk"


class ExecutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Execution

    workflow = factory.SubFactory(WorkflowFactory)
    status = Execution.Status.RUNNING
    input = factory.LazyFunction(lambda: {"booking": 42})
    started_at = factory.LazyFunction(timezone.now)
    triggered_by = "webhook"


class ExecutionStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExecutionStep

    execution = factory.SubFactory(ExecutionFactory)
    step_id = factory.Sequence(lambda n: f"step-{n}")
    step_name = "Send bekræftelse"
    step_type = "email"
    status = ExecutionStep.Status.COMPLETED
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=2))
    completed_at = factory.LazyFunction(timezone.now)
    duration_ms = 2000


class ExecutionLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExecutionLog

    execution = factory.SubFactory(ExecutionFactory)
    level = ExecutionLog.Level.INFO
    message = fake("sentence")
    step_id = "mail"


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    workflow = factory.SubFactory(WorkflowFactory)
    name = factory.Sequence(lambda n: f"Hver morgen {n}")
    cron_expression = "0 7 * * 1-5"
    interval_minutes = None
    timezone = "Europe/Copenhagen"
    next_run = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    workflow = factory.SubFactory(WorkflowFactory)
    name = factory.Sequence(lambda n: f"Booking-hook {n}")
    url = factory.Sequence(lambda n: f"/hooks/booking-{n}")
    secret = factory.LazyFunction(lambda: crypto.encrypt("hook-secret"))
    allowed_ips = factory.LazyFunction(lambda: ["10.0.0.0/8"])


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    name = factory.Sequence(lambda n: f"Slack {n}")
    type = "slack"
    config = factory.LazyFunction(lambda: {"channel": "#drift"})
    owner = "ops@tekup.dk"


class VariableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variable

    workflow = factory.SubFactory(WorkflowFactory)
    key = factory.Sequence(lambda n: f"var_{n}")
    value = "hej"
    type = Variable.Type.STRING


class FlowMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FlowMetric

    date = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=n))
    metric = "executions"
    value = 12.0
    workflow = factory.SubFactory(WorkflowFactory)
