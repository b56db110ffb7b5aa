import json

import pytest
from django.contrib import admin
from django.urls import reverse

from flow import factories, services
from flow.models import Execution, Schedule, Variable, Webhook, Workflow
from shared import audit, crypto
from shared.models import AuditLog

MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "flow"), key=lambda m: m.__name__
)


def test_workflow_counters_and_status_are_read_only(admin_client):
    workflow = factories.WorkflowFactory(status="draft")

    response = admin_client.get(reverse("admin:flow_workflow_change", args=[workflow.pk]))

    form_fields = response.context["adminform"].form.fields
    for name in ["status", "execution_count", "success_count", "failure_count", "avg_duration_ms"]:
        assert name not in form_fields


def test_workflow_actions_activate_execute_pause(admin_client):
    workflow = factories.WorkflowFactory(status="draft")
    url = reverse("admin:flow_workflow_changelist")

    admin_client.post(url, {"action": "activate", "_selected_action": [workflow.pk]})
    admin_client.post(url, {"action": "execute_now", "_selected_action": [workflow.pk]})
    admin_client.post(url, {"action": "pause", "_selected_action": [workflow.pk]})
    response = admin_client.post(
        url, {"action": "execute_now", "_selected_action": [workflow.pk]}, follow=True
    )

    assert Workflow.objects.get(pk=workflow.pk).status == "paused"
    execution = Execution.objects.get(workflow=workflow)
    assert execution.triggered_by.startswith("admin:")
    assert "only an active workflow can be executed" in response.content.decode()


def test_schedule_inline_refuses_a_bad_cron_with_its_reason(admin_client):
    workflow = factories.WorkflowFactory()
    data = {
        "name": workflow.name,
        "owner": workflow.owner,
        "timeout": 3600,
        "retry_attempts": 3,
        "trigger": "{}",
        "nodes": "[]",
        "edges": "[]",
        "schedules-TOTAL_FORMS": "1",
        "schedules-INITIAL_FORMS": "0",
        "schedules-0-name": "Dårlig",
        "schedules-0-cron_expression": "61 * * * *",
        "schedules-0-timezone": "Europe/Copenhagen",
        "schedules-0-is_active": "on",
    }

    response = admin_client.post(reverse("admin:flow_workflow_change", args=[workflow.pk]), data)

    assert response.status_code == 200
    assert "out of range" in response.content.decode()
    assert not Schedule.objects.exists()

    data["schedules-0-cron_expression"] = "0 9 * * 1-5"
    response = admin_client.post(reverse("admin:flow_workflow_change", args=[workflow.pk]), data)
    assert response.status_code == 302
    schedule = Schedule.objects.get()
    assert (
        schedule.next_run is not None
        and schedule.next_run.astimezone(services.validate_timezone(timezone="Europe/Copenhagen")).hour == 9
    )


def test_adding_an_execution_goes_through_execute_workflow(admin_client):
    draft = factories.WorkflowFactory(status="draft")
    active = factories.WorkflowFactory(status="active")
    url = reverse("admin:flow_execution_add")

    refused = admin_client.post(url, {"workflow": draft.pk, "input": "{}", "metadata": "null"})
    accepted = admin_client.post(url, {"workflow": active.pk, "input": '{"a": 1}', "metadata": "null"})

    assert refused.status_code == 200 and "only an active one runs" in refused.content.decode()
    assert accepted.status_code == 302
    execution = Execution.objects.get()
    assert (execution.workflow, execution.input, execution.status) == (active, {"a": 1}, "running")
    assert Workflow.objects.get(pk=active.pk).last_executed_at == execution.started_at


def test_cancel_action_finishes_running_executions(admin_client):
    execution = factories.ExecutionFactory()

    admin_client.post(
        reverse("admin:flow_execution_changelist"), {"action": "cancel", "_selected_action": [execution.pk]}
    )

    execution.refresh_from_db()
    assert execution.status == "cancelled" and execution.completed_at is not None
    assert Workflow.objects.get(pk=execution.workflow_id).execution_count == 1


def test_secret_variable_is_masked_and_kept_when_left_blank(admin_client):
    variable = services.set_variable(key="smtp_password", value="hemmeligt-123", is_secret=True)
    change_url = reverse("admin:flow_variable_change", args=[variable.pk])

    for page in (admin_client.get(reverse("admin:flow_variable_changelist")), admin_client.get(change_url)):
        html = page.content.decode()
        assert "hemmeligt-123" not in html and variable.value not in html
    assert "•••••• (set)" in admin_client.get(reverse("admin:flow_variable_changelist")).content.decode()

    response = admin_client.post(
        change_url, {"key": "smtp_password", "type": "string", "is_secret": "on", "plain_value": ""}
    )
    assert response.status_code == 302
    assert services.variable_value(variable=Variable.objects.get(pk=variable.pk)) == "hemmeligt-123"


def test_variable_admin_encrypts_a_new_secret_and_checks_the_type(admin_client):
    url = reverse("admin:flow_variable_add")

    bad = admin_client.post(url, {"key": "n", "type": "number", "plain_value": "ti"})
    good = admin_client.post(url, {"key": "token", "type": "string", "is_secret": "on", "plain_value": "abc"})

    assert bad.status_code == 200 and "is not a number" in bad.content.decode()
    assert good.status_code == 302
    stored = Variable.objects.get(key="token")
    assert stored.value != "abc" and crypto.decrypt(stored.value) == "abc"


@pytest.mark.parametrize("secret_before", [False, True], ids=["new", "changed"])
def test_a_secret_variable_value_never_reaches_the_audit_log(admin_client, secret_before):
    if secret_before:
        variable = services.set_variable(key="smtp", value="gammel-hemmelighed", is_secret=True)
        url = reverse("admin:flow_variable_change", args=[variable.pk])
    else:
        url = reverse("admin:flow_variable_add")

    response = admin_client.post(
        url, {"key": "smtp", "type": "string", "is_secret": "on", "plain_value": "ny-hemmelighed"}
    )

    assert response.status_code == 302
    stored = Variable.objects.get(key="smtp").value
    entry = AuditLog.objects.filter(resource_type="flow.variables").first()
    logged = json.dumps(list(AuditLog.objects.values_list("changes", flat=True)))
    assert "ny-hemmelighed" not in logged and "gammel-hemmelighed" not in logged and stored not in logged
    assert entry.changes["value"][1] == audit.CHANGED


def test_deleting_a_secret_variable_logs_no_token(admin_client):
    variable = services.set_variable(key="smtp", value="hemmelig", is_secret=True)

    admin_client.post(reverse("admin:flow_variable_delete", args=[variable.pk]), {"post": "yes"})

    entry = AuditLog.objects.get(resource_type="flow.variables", action="delete")
    assert variable.value not in json.dumps(entry.changes)
    assert entry.changes["value"] == [audit.CHANGED, None] and entry.changes["key"] == ["smtp", None]


def test_a_plain_variable_value_is_audited(admin_client):
    admin_client.post(
        reverse("admin:flow_variable_add"), {"key": "region", "type": "string", "plain_value": "DK"}
    )

    entry = AuditLog.objects.get(resource_type="flow.variables")
    assert entry.changes["value"][1] is not None and "DK" in str(entry.changes["value"][1])


def test_duplicate_global_variable_is_refused_in_the_admin(admin_client):
    services.set_variable(key="region", value="DK")

    response = admin_client.post(
        reverse("admin:flow_variable_add"), {"key": "region", "type": "string", "plain_value": "SE"}
    )

    assert response.status_code == 200 and "already exists in this scope" in response.content.decode()
    assert Variable.objects.get(key="region").value == "DK"


def test_webhook_secret_is_never_shown_and_can_be_replaced(admin_client):
    webhook = services.create_webhook(
        workflow=factories.WorkflowFactory(), name="Booking", url="/hooks/b", secret="s3cret-value"
    )
    change_url = reverse("admin:flow_webhook_change", args=[webhook.pk])

    for page in (admin_client.get(reverse("admin:flow_webhook_changelist")), admin_client.get(change_url)):
        html = page.content.decode()
        assert "s3cret-value" not in html and webhook.secret not in html

    data = {
        "workflow": webhook.workflow_id,
        "name": "Booking",
        "url": "/hooks/b",
        "method": "POST",
        "allowed_ips": "10.1.2.3",
        "is_active": "on",
        "new_secret": "",
    }
    assert admin_client.post(change_url, data).status_code == 302
    stored = Webhook.objects.get(pk=webhook.pk)
    assert services.webhook_secret(webhook=stored) == "s3cret-value"
    assert stored.allowed_ips == ["10.1.2.3/32"]

    admin_client.post(change_url, {**data, "new_secret": "nyt"})
    assert services.webhook_secret(webhook=Webhook.objects.get(pk=webhook.pk)) == "nyt"
