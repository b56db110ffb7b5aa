"""Workflows and their life cycle: create (from a template, too), activate, pause, archive.

draft → active ⇄ paused, and any of them → archived. Each transition is one conditional UPDATE, so two
people acting on one workflow at once cannot both move it from the same state.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shared import validation as v

from ..models import Schedule, Workflow
from .validation import _workflow


def _json_list(value: Any, name: str) -> list | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise v.invalid(name, f"{name} must be a list, not {type(value).__name__}.")
    return v.json_value(value, name=name)


def create_workflow(
    *,
    name: str,
    owner: str,
    description: str | None = None,
    trigger: dict | None = None,
    nodes: list | None = None,
    edges: list | None = None,
    timeout: int = 3600,
    retry_attempts: int = 3,
    is_template: bool = False,
    template: Workflow | None = None,
) -> Workflow:
    """Create a draft workflow. From a template, the trigger, nodes and edges not given are copied.

    Raises ValidationError keyed by the argument: text outside its column, trigger not a JSON object,
    nodes or edges not a JSON list, a timeout or retry count outside its column, a template that is not
    a saved template workflow.
    """
    name = v.model_field(Workflow, "name", name)
    owner = v.model_field(Workflow, "owner", owner)
    description = v.model_field(Workflow, "description", description)
    trigger = v.json_object(trigger, name="trigger")
    nodes = _json_list(nodes, "nodes")
    edges = _json_list(edges, "edges")
    timeout = v.integer(timeout, name="timeout", min_value=1, max_value=v.INTEGER[1])
    retry_attempts = v.model_field(Workflow, "retry_attempts", retry_attempts)
    is_template = v.boolean(is_template, name="is_template")
    template = v.optional_instance(template, name="template", model=Workflow)
    if template is not None and not template.is_template:
        raise ValidationError({"template": f"Workflow '{template.name}' is not a template."})
    workflow = Workflow(
        name=name,
        owner=owner,
        description=description,
        trigger=trigger if trigger is not None else (template.trigger if template else {}),
        nodes=nodes if nodes is not None else (template.nodes if template else []),
        edges=edges if edges is not None else (template.edges if template else []),
        timeout=timeout,
        retry_attempts=retry_attempts,
        is_template=is_template,
        template=template,
        status=Workflow.Status.DRAFT,
    )
    return v.save_new(workflow, key="name")


def _transition(workflow: Workflow, *, to: str, allowed_from: tuple[str, ...]) -> Workflow:
    """One conditional UPDATE: the status changes only from an allowed one, whoever else is acting."""
    workflow = _workflow(workflow)
    changed = Workflow.objects.filter(pk=workflow.pk, status__in=allowed_from).update(
        status=to, updated_at=timezone.now()
    )
    if not changed:
        current = Workflow.objects.filter(pk=workflow.pk).values_list("status", flat=True).first()
        if current is None:
            raise v.invalid("workflow", f"Workflow {workflow.pk} does not exist.")
        allowed = " or ".join(allowed_from)
        raise v.invalid(
            "workflow", f"Workflow '{workflow.name}' is {current}; only a {allowed} workflow can become {to}."
        )
    workflow.refresh_from_db()
    return workflow


@transaction.atomic
def activate_workflow(*, workflow: Workflow) -> Workflow:
    """draft or paused → active. A workflow with no nodes has nothing to run and is refused.

    Raises ValidationError keyed by "workflow" (not a saved Workflow, gone, not draft or paused) or
    "nodes" (none to run).
    """
    workflow = _workflow(workflow)
    if not Workflow.objects.filter(pk=workflow.pk).exclude(nodes=[]).exclude(nodes={}).exists():
        raise v.invalid("workflow", f"Workflow '{workflow.name}' has no nodes; add at least one first.")
    return _transition(
        workflow, to=Workflow.Status.ACTIVE, allowed_from=(Workflow.Status.DRAFT, Workflow.Status.PAUSED)
    )


@transaction.atomic
def pause_workflow(*, workflow: Workflow) -> Workflow:
    """active → paused: new executions are refused, running ones finish.

    Raises ValidationError keyed by "workflow": not a saved Workflow, gone, or not active.
    """
    return _transition(workflow, to=Workflow.Status.PAUSED, allowed_from=(Workflow.Status.ACTIVE,))


@transaction.atomic
def archive_workflow(*, workflow: Workflow) -> Workflow:
    """draft, active or paused → archived (final), and its schedules stop.

    Raises ValidationError keyed by "workflow": not a saved Workflow, gone, or already archived.
    """
    result = _transition(
        workflow,
        to=Workflow.Status.ARCHIVED,
        allowed_from=(Workflow.Status.DRAFT, Workflow.Status.ACTIVE, Workflow.Status.PAUSED),
    )
    Schedule.objects.filter(workflow=workflow).update(
        is_active=False, next_run=None, updated_at=timezone.now()
    )
    return result
