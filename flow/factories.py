"""factory-boy factories for every flow model (tests and demo data), with Danish fake data.

The factories hold the rules a row's derived columns follow, for tests and `flow.demo` alike:
- a workflow's edges join each node to the next;
- an execution's and a step's duration is the time from start to completion, in whole milliseconds
  (`flow.timekeeping.elapsed_ms`, which `finish_execution` and `record_step` use too);
- an active schedule's next run is `services.next_run_after` the moment `after` (default now), an
  inactive schedule has none;
- a webhook's secret is stored encrypted (pass `plain_secret="..."` to choose the plaintext);
- a variable's value is `services.stored_variable_value` of `plain_value` (encrypted when secret).
`after`, `plain_secret` and `plain_value` are not model fields.
"""

import itertools
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
from .services import next_run_after, stored_variable_value
from .timekeeping import elapsed_ms


def fake(provider: str, **kwargs):
    return factory.Faker(provider, locale="da_DK", **kwargs)


def chained(nodes: list[dict]) -> list[dict]:
    """The edges that join each node to the next."""
    return [{"from": a["id"], "to": b["id"]} for a, b in itertools.pairwise(nodes)]


NODES = [
    {"id": "start", "type": "trigger", "name": "Ny booking"},
    {"id": "mail", "type": "email", "name": "Send bekræftelse"},
]


class WorkflowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workflow

    name = factory.Sequence(lambda n: f"Bookingbekræftelse {n}")
    description = fake("sentence")
    status = Workflow.Status.ACTIVE
    trigger = factory.LazyFunction(lambda: {"type": "webhook"})
    nodes = factory.LazyFunction(lambda: [dict(node) for node in NODES])
    edges = factory.LazyAttribute(lambda o: chained(o.nodes))
    owner = "ops@tekup.dk"


class ExecutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Execution

    workflow = factory.SubFactory(WorkflowFactory)
    status = Execution.Status.RUNNING
    input = factory.LazyFunction(lambda: {"booking": 42})
    started_at = factory.LazyFunction(timezone.now)
    completed_at = None  # running: a finished execution is given its completion time
    duration_ms = factory.LazyAttribute(lambda o: elapsed_ms(o.started_at, o.completed_at))
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
    duration_ms = factory.LazyAttribute(lambda o: elapsed_ms(o.started_at, o.completed_at))


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
        exclude = ["after"]

    workflow = factory.SubFactory(WorkflowFactory)
    name = factory.Sequence(lambda n: f"Hver morgen {n}")
    cron_expression = "0 7 * * 1-5"
    interval_minutes = None
    timezone = "Europe/Copenhagen"
    is_active = True
    start_date = None
    end_date = None
    # A lambda: in this class body `timezone` is the field above, not django.utils.timezone.
    after = factory.LazyFunction(lambda: timezone.now())
    next_run = factory.LazyAttribute(
        lambda o: (
            next_run_after(
                after=o.after,
                cron_expression=o.cron_expression,
                interval_minutes=o.interval_minutes,
                timezone_name=o.timezone,
                start_date=o.start_date,
                end_date=o.end_date,
            )
            if o.is_active
            else None
        )
    )


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook
        exclude = ["plain_secret"]

    workflow = factory.SubFactory(WorkflowFactory)
    name = factory.Sequence(lambda n: f"Booking-hook {n}")
    url = factory.Sequence(lambda n: f"/hooks/booking-{n}")
    plain_secret = "hook-secret"
    secret = factory.LazyAttribute(lambda o: crypto.encrypt(o.plain_secret))
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
        exclude = ["plain_value"]

    workflow = factory.SubFactory(WorkflowFactory)
    key = factory.Sequence(lambda n: f"var_{n}")
    plain_value = "hej"
    type = Variable.Type.STRING
    is_secret = False
    value = factory.LazyAttribute(
        lambda o: stored_variable_value(value=o.plain_value, type=o.type, is_secret=o.is_secret)
    )


class FlowMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FlowMetric

    date = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=n))
    metric = "executions"
    value = 12.0
    workflow = factory.SubFactory(WorkflowFactory)
