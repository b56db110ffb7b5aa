"""The registry of encrypted columns (shared.fields) and the validation of secrets (shared.crypto)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from billy.models import Organization
from billy.services import create_organization
from flow import services as flow
from flow.factories import WebhookFactory, WorkflowFactory
from flow.models import Variable, Webhook, Workflow
from shared import crypto
from shared.fields import EncryptedTextField, encrypted_field_names, encrypted_fields


def test_the_registry_names_every_secret_column():
    found = {(model._meta.label, field.name, field.encrypted_when) for model, field in encrypted_fields()}

    assert found == {
        ("billy.Organization", "billy_api_key", None),
        ("flow.Webhook", "secret", None),
        ("flow.Variable", "value", "is_secret"),
    }
    assert all(isinstance(field, EncryptedTextField) and field.encrypted for _, field in encrypted_fields())
    assert encrypted_field_names(Variable) == ("value",)
    assert encrypted_field_names(Workflow) == ()


def test_a_conditional_column_holds_a_secret_only_where_its_condition_holds():
    field = Variable._meta.get_field("value")

    assert field.holds_secret(Variable(value="v1:x:y", is_secret=True))
    assert not field.holds_secret(Variable(value="plain", is_secret=False))
    assert field.condition_column() == "is_secret"
    assert Webhook._meta.get_field("secret").condition_column() is None


def test_saving_plaintext_into_an_encrypted_column_is_refused(db):
    webhook = WebhookFactory()
    webhook.secret = "plaintext-hook-secret"

    with pytest.raises(ValueError, match="flow.Webhook.secret holds a secret") as error, transaction.atomic():
        webhook.save()
    assert "plaintext-hook-secret" not in str(error.value)
    variable = Variable(key="smtp", value="plaintext-pw", is_secret=True)
    with pytest.raises(ValueError, match="flow.Variable.value holds a secret"), transaction.atomic():
        variable.save()
    Variable(key="greeting", value="hello", is_secret=False).save()  # not a secret: plain text is right


@pytest.mark.parametrize(
    "statement",
    [
        """INSERT INTO "billy"."organizations" (name, billy_api_key, billy_organization_id)
           VALUES ('A', 'plaintext-key', 'org-sql')""",
        """INSERT INTO "flow"."variables" (key, value, is_secret) VALUES ('k', 'plaintext', true)""",
    ],
)
def test_the_database_refuses_plaintext_from_plain_sql_writers(db, statement):
    with (
        pytest.raises(IntegrityError, match="_encrypted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("k\x00", "must not contain control characters"),
        ("key\twith-tab", "must not contain control characters"),
        ("key\x7f", "must not contain control characters"),
        (" key", "must not start or end with whitespace"),
        ("key\n", "must not start or end with whitespace"),
        ("k" * 4097, "must be at most 4096 bytes (it has 4097)"),
        ("æ" * 2049, "must be at most 4096 bytes (it has 4098)"),
        ("", "must be a non-empty string"),
        (None, "must be a non-empty string"),
    ],
)
def test_validate_secret_names_the_argument_and_never_the_value(value, message):
    with pytest.raises(ValidationError) as error:
        crypto.validate_secret(value, name="billy_api_key")

    assert error.value.message_dict == {"billy_api_key": [f"billy_api_key {message}."]}
    if value:
        assert value not in str(error.value)


def test_validate_secret_accepts_a_key_of_exactly_4_kb():
    assert crypto.validate_secret("k" * 4096, name="secret") == "k" * 4096


def test_every_service_that_takes_a_secret_validates_it(db):
    workflow = WorkflowFactory()

    with pytest.raises(ValidationError, match="billy_api_key must not contain control characters"):
        create_organization(name="A", billy_api_key="k\x1b", billy_organization_id="org-1")
    with pytest.raises(ValidationError, match="secret must not start or end with whitespace"):
        flow.create_webhook(workflow=workflow, name="H", url="/h", secret="hook-secret\n")
    with pytest.raises(ValidationError, match="secret must not contain control characters"):
        flow.set_webhook_secret(webhook=WebhookFactory(), secret="a\x7fb")
    with pytest.raises(ValidationError, match="value must be at most 4096 bytes"):
        flow.set_variable(key="k", value="x" * 5000, is_secret=True)
    assert not Organization.objects.exists() and not Webhook.objects.filter(url="/h").exists()
    # A pretty-printed JSON secret is stored compactly, not refused for its line breaks.
    variable = flow.set_variable(key="sa", value='{\n  "a": 1\n}', type="json", is_secret=True)
    assert flow.variable_value(variable=variable) == {"a": 1}


def test_no_admin_shows_filters_or_searches_an_encrypted_column():
    from shared.fields import check_admin_hides_secrets

    assert check_admin_hides_secrets() == []


def test_the_admin_check_names_each_place_a_secret_would_appear(monkeypatch):
    from django.contrib import admin

    from shared.fields import check_admin_hides_secrets

    class CarelessWebhookAdmin(admin.ModelAdmin):
        list_display = ["name", "secret"]
        list_filter = [("secret", admin.EmptyFieldListFilter)]
        search_fields = ["^secret", "name"]
        fieldsets = [(None, {"fields": [("name", "secret__x")]})]

    monkeypatch.setitem(admin.site._registry, Webhook, CarelessWebhookAdmin(Webhook, admin.site))

    errors = check_admin_hides_secrets()

    assert [error.msg for error in errors] == [
        f"CarelessWebhookAdmin.{option} names the encrypted field 'secret'."
        for option in ("list_display", "list_filter", "search_fields", "fieldsets")
    ]
    assert {error.id for error in errors} == {"shared.E010"}


def test_no_model_form_renders_an_encrypted_column():
    from django.forms import modelform_factory

    assert "secret" not in modelform_factory(Webhook, fields="__all__").base_fields
    assert "value" not in modelform_factory(Variable, fields="__all__").base_fields


def test_the_audit_masks_encrypted_columns_by_the_registry():
    from shared.audit import masked_columns

    assert "billy_api_key" in masked_columns(Organization)
    assert "secret" in masked_columns(Webhook)
    # only where the row is secret: the trigger reads the condition column
    assert "value?is_secret" in masked_columns(Variable)
