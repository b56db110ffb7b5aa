from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from flow import services
from flow.factories import VariableFactory, WebhookFactory, WorkflowFactory
from flow.models import Variable, Webhook
from shared import crypto
from tests.support.constraints import refused_sql


def test_set_variable_upserts_per_workflow(db):
    workflow = WorkflowFactory()

    first = services.set_variable(workflow=workflow, key="api_url", value="https://a.example")
    second = services.set_variable(
        workflow=workflow, key="api_url", value="https://b.example", description="ny"
    )

    assert first.pk == second.pk
    stored = Variable.objects.get()
    assert (stored.value, stored.description, stored.workflow) == ("https://b.example", "ny", workflow)


def test_set_variable_upserts_among_globals(db):
    services.set_variable(key="company", value="Tekup")
    services.set_variable(key="company", value="Tekup ApS")

    assert list(Variable.objects.values_list("workflow", "value")) == [(None, "Tekup ApS")]


def test_same_key_in_another_scope_is_another_variable(db):
    one, two = WorkflowFactory(), WorkflowFactory()

    for workflow in (None, one, two):
        services.set_variable(workflow=workflow, key="region", value="DK")

    assert Variable.objects.filter(key="region").count() == 3


def test_database_refuses_a_second_global_with_the_same_key(db):
    VariableFactory(workflow=None, key="shared_key")

    refused_sql(
        "flow_variables_workflow_key_uniq",
        """INSERT INTO "flow"."variables" (key, value, is_secret) VALUES ('shared_key', 'x', false)""",
    )


def test_model_validation_reports_a_duplicate_global(db):
    VariableFactory(workflow=None, key="dup")

    with pytest.raises(ValidationError, match="already exists in this scope"):
        Variable(workflow=None, key="dup", value="y").full_clean()


def test_secret_variables_are_encrypted_at_rest(db):
    variable = services.set_variable(key="smtp_password", value="hemmeligt-123", is_secret=True)

    with connection.cursor() as cursor:
        cursor.execute('SELECT value FROM "flow"."variables" WHERE id = %s', [variable.pk])
        (stored,) = cursor.fetchone()
    assert "hemmeligt" not in stored and stored.startswith("v1:")
    assert crypto.decrypt(stored) == "hemmeligt-123"
    assert services.variable_value(variable=Variable.objects.get(pk=variable.pk)) == "hemmeligt-123"


@pytest.mark.parametrize(
    ("type", "value", "stored", "python"),
    [
        ("number", "12.50", "12.50", Decimal("12.50")),
        ("number", 7, "7", Decimal("7")),
        ("boolean", "True", "true", True),
        ("boolean", False, "false", False),
        ("json", {"a": [1, 2]}, '{"a": [1, 2]}', {"a": [1, 2]}),
        ("json", "[1]", "[1]", [1]),
        ("string", "hej", "hej", "hej"),
    ],
)
def test_typed_values_round_trip(db, type, value, stored, python):
    variable = services.set_variable(key="v", value=value, type=type)

    assert variable.value == stored
    assert services.variable_value(variable=variable) == python


@pytest.mark.parametrize(
    ("type", "value", "message"),
    [
        ("number", "ti", "is not a number"),
        ("boolean", "ja", "is not a boolean"),
        ("json", "{nope", "not valid JSON"),
        ("date", "2025-01-01", "not a type"),
    ],
)
def test_values_must_match_their_type(db, type, value, message):
    with pytest.raises(ValidationError, match=message):
        services.set_variable(key="v", value=value, type=type)
    assert not Variable.objects.exists()


def test_create_webhook_encrypts_the_secret_and_cleans_ips(db):
    webhook = services.create_webhook(
        workflow=WorkflowFactory(),
        name="Booking",
        url="/hooks/booking",
        method="post",
        secret="s3cret",
        allowed_ips=["10.0.0.1", "192.168.1.7/24"],
    )

    stored = Webhook.objects.get(pk=webhook.pk)
    assert "s3cret" not in stored.secret
    assert services.webhook_secret(webhook=stored) == "s3cret"
    assert (stored.method, stored.allowed_ips) == ("POST", ["10.0.0.1/32", "192.168.1.0/24"])


def test_webhook_url_is_unique_and_ips_are_checked(db):
    WebhookFactory(url="/hooks/one")
    workflow = WorkflowFactory()

    with pytest.raises(ValidationError, match="url"):
        services.create_webhook(workflow=workflow, name="Igen", url="/hooks/one")
    with pytest.raises(ValidationError, match="'nabo' is not an IP address"):
        services.create_webhook(workflow=workflow, name="X", url="/hooks/two", allowed_ips=["nabo"])
    with pytest.raises(ValidationError, match="method"):
        services.create_webhook(workflow=workflow, name="X", url="/hooks/three", method="TRACE")


def test_set_webhook_secret_replaces_and_removes(db):
    webhook = WebhookFactory()

    services.set_webhook_secret(webhook=webhook, secret="ny-hemmelighed")
    assert services.webhook_secret(webhook=Webhook.objects.get(pk=webhook.pk)) == "ny-hemmelighed"
    services.set_webhook_secret(webhook=webhook, secret=None)
    assert Webhook.objects.get(pk=webhook.pk).secret is None


@pytest.mark.parametrize(("type", "value"), [("number", "hemmelig-42"), ("boolean", "hemmelig-ja")])
def test_a_refused_secret_value_is_not_repeated_in_the_error(db, type, value):
    with pytest.raises(ValidationError) as refused:
        services.set_variable(key="v", value=value, type=type, is_secret=True)

    assert value not in str(refused.value.messages)
    assert refused.value.message_dict == {"value": [f"The secret value is not a valid {type}."]}
    assert not Variable.objects.exists()
