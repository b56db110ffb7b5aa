from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from billy.factories import OrganizationFactory, OrganizationUserFactory
from billy.models import ToolAuditLog
from billy.services import get_audit_logs, log_audit


def test_log_audit_records_every_field(organization, clock):
    user = OrganizationUserFactory(organization=organization)

    entry = log_audit(
        tool_name="create_invoice",
        action="create",
        success=False,
        organization=organization,
        user=user,
        resource_type="invoice",
        resource_id=42,
        input_params={"customer": "c-1", "lines": 2},
        output_data={"error": "validation"},
        error_message="Billy said no",
        duration_ms=123,
        ip_address="2001:db8::1",
        user_agent="mcp/1.0",
    )

    stored = ToolAuditLog.objects.get(pk=entry.pk)
    assert (stored.organization, stored.user, stored.tool_name, stored.action) == (
        organization,
        user,
        "create_invoice",
        "create",
    )
    assert (stored.success, stored.resource_type, stored.resource_id) == (False, "invoice", "42")
    assert stored.input_params == {"customer": "c-1", "lines": 2}
    assert stored.output_data == {"error": "validation"}
    assert (stored.error_message, stored.duration_ms, stored.ip_address, stored.user_agent) == (
        "Billy said no",
        123,
        "2001:db8::1",
        "mcp/1.0",
    )
    assert stored.created_at == clock.now


def test_log_audit_needs_only_tool_action_and_success(db):
    entry = log_audit(tool_name="ping", action="read", success=True)

    stored = ToolAuditLog.objects.get(pk=entry.pk)
    assert stored.organization is None and stored.user is None and stored.input_params is None


def test_log_audit_takes_the_organization_of_the_user(organization):
    user = OrganizationUserFactory(organization=organization)

    entry = log_audit(tool_name="t", action="a", success=True, user=user)

    assert ToolAuditLog.objects.get(pk=entry.pk).organization == organization


def test_log_audit_redacts_parameters_named_like_secrets(organization):
    entry = log_audit(
        tool_name="connect",
        action="configure",
        success=True,
        organization=organization,
        input_params={"billy_api_key": "s3cret", "nested": {"password": "pw", "page": 2}, "token_count": 7},
    )

    assert ToolAuditLog.objects.get(pk=entry.pk).input_params == {
        "billy_api_key": "[redacted]",
        "nested": {"password": "[redacted]", "page": 2},
        "token_count": 7,
    }


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "secret",
        "password",
        "Authorization",
        "api-key",
        "api_key",
        "apikey",
        "x-api-key",
        "X-API-KEY",
        "apiKey",
        "access_token",
        "accessToken",
        "refresh_token",
        "RefreshToken",
        "cookie",
        "Set-Cookie",
        "session",
        "sessionId",
        "client.secret",
        "smtp_password",
    ],
)
def test_log_audit_redacts_a_key_named_like_a_secret_in_any_case_and_spelling(organization, name):
    entry = log_audit(
        tool_name="connect",
        action="call",
        success=True,
        organization=organization,
        input_params={name: "value-to-hide-1"},
        output_data={"headers": {name: "value-to-hide-2"}},
    )

    stored = ToolAuditLog.objects.get(pk=entry.pk)
    assert stored.input_params == {name: "[redacted]"}
    assert stored.output_data == {"headers": {name: "[redacted]"}}


@pytest.mark.parametrize(
    "name", ["page", "token_count", "max_tokens", "customer", "sessions_count", "keyword"]
)
def test_log_audit_keeps_ordinary_names(organization, name):
    entry = log_audit(
        tool_name="list", action="read", success=True, organization=organization, input_params={name: 7}
    )

    assert ToolAuditLog.objects.get(pk=entry.pk).input_params == {name: 7}


def test_log_audit_redacts_nested_dicts_and_lists_in_input_and_output(organization):
    input_params = {
        "request": {
            "headers": [{"name": "Accept", "value": "json"}, {"x-api-key": "value-to-hide-3"}],
            "body": {"contacts": [{"name": "Jens", "auth": {"accessToken": "value-to-hide-4"}}]},
        },
        "pages": [1, 2, (3, {"refresh_token": "value-to-hide-5"})],
    }
    output_data = [{"invoice": 1, "session": {"id": "value-to-hide-6"}}, "plain text"]

    entry = log_audit(
        tool_name="sync",
        action="call",
        success=True,
        organization=organization,
        input_params=input_params,
        output_data=output_data,
    )

    stored = ToolAuditLog.objects.get(pk=entry.pk)
    assert stored.input_params == {
        "request": {
            "headers": [{"name": "Accept", "value": "json"}, {"x-api-key": "[redacted]"}],
            "body": {"contacts": [{"name": "Jens", "auth": {"accessToken": "[redacted]"}}]},
        },
        "pages": [1, 2, [3, {"refresh_token": "[redacted]"}]],
    }
    assert stored.output_data == [{"invoice": 1, "session": "[redacted]"}, "plain text"]
    assert input_params["request"]["headers"][1]["x-api-key"] == "value-to-hide-3"  # the caller's dict kept


def test_log_audit_redacts_values_shaped_like_bearer_tokens_under_any_name(organization):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    entry = log_audit(
        tool_name="http",
        action="call",
        success=True,
        organization=organization,
        input_params={"header": "Bearer abc.DEF-123_xyz", "note": "sent with bearer QWERTY12345", "id": jwt},
        output_data={"echo": [f"header was {jwt}"], "count": 3, "text": "a bearer of good news"},
    )

    stored = ToolAuditLog.objects.get(pk=entry.pk)
    assert stored.input_params == {"header": "[redacted]", "note": "[redacted]", "id": "[redacted]"}
    assert stored.output_data == {"echo": ["[redacted]"], "count": 3, "text": "a bearer of good news"}


def test_log_audit_redacts_values_equal_to_a_configured_secret(db, settings):
    organization = OrganizationFactory(api_key="billy-key-for-redaction-test")
    settings.VAULT_EMBEDDING_API_KEY = "sk-embedding-key-for-test"

    entry = log_audit(
        tool_name="debug",
        action="echo",
        success=True,
        organization=organization,
        input_params={"args": ["billy-key-for-redaction-test", "short"]},
        output_data={
            "config": {"value": settings.SECRET_KEY},
            "url": "https://x/?k=sk-embedding-key-for-test",
        },
    )

    stored = ToolAuditLog.objects.get(pk=entry.pk)
    assert stored.input_params == {"args": ["[redacted]", "short"]}
    assert stored.output_data == {"config": {"value": "[redacted]"}, "url": "[redacted]"}


def test_log_audit_still_records_when_the_organization_key_cannot_be_read(db, settings):
    organization = OrganizationFactory()
    settings.TEKUPDB_ENCRYPTION_KEYS = ["q7sbNTYPcrd1m0f3o8mo6f5vcGxbBAhB2zU7fIIzIQw="]  # its key dropped

    entry = log_audit(
        tool_name="t", action="a", success=True, organization=organization, input_params={"p": 1}
    )

    assert ToolAuditLog.objects.get(pk=entry.pk).input_params == {"p": 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tool_name": ""}, "tool_name must be a non-empty string"),
        ({"action": None}, "action must be a non-empty string"),
        ({"success": "yes"}, "success must be True or False"),
        ({"duration_ms": -1}, "duration_ms must be an integer >= 0"),
        ({"duration_ms": True}, "duration_ms must be an integer >= 0"),
        ({"ip_address": "999.1.1.1"}, "not an IPv4 or IPv6 address"),
        ({"input_params": ["a"]}, "input_params must be a dict"),
        ({"output_data": {1, 2}}, "output_data is not JSON-serialisable"),
        ({"resource_id": "x" * 256}, "at most 255 characters"),
    ],
)
def test_log_audit_refuses_bad_input(organization, fields, message):
    arguments = {"tool_name": "t", "action": "a", "success": True, "organization": organization, **fields}
    with pytest.raises(ValidationError, match=message):
        log_audit(**arguments)
    assert not ToolAuditLog.objects.exists()


def test_log_audit_refuses_a_user_of_another_organization(organization):
    stranger = OrganizationUserFactory()

    with pytest.raises(ValidationError, match="does not belong to organization"):
        log_audit(tool_name="t", action="a", success=True, organization=organization, user=stranger)


def _log_at(clock, hours: int, **fields):
    clock.advance(hours=hours)
    return log_audit(action="read", success=True, **{"tool_name": "list_invoices", **fields})


def test_get_audit_logs_honours_both_bounds_newest_first(organization, clock):
    start = clock.now
    entries = [_log_at(clock, 1, organization=organization) for _ in range(5)]  # at start + 1h .. 5h

    found = get_audit_logs(
        organization=organization, start=start + timedelta(hours=2), end=start + timedelta(hours=4)
    )

    assert found == [entries[3], entries[2], entries[1]]
    assert get_audit_logs(organization=organization, start=start + timedelta(hours=4)) == [
        entries[4],
        entries[3],
    ]
    assert get_audit_logs(organization=organization, end=start + timedelta(hours=1)) == [entries[0]]


def test_get_audit_logs_filters_by_user_and_tool_within_the_organization(organization, clock):
    anna = OrganizationUserFactory(organization=organization, email="anna@example.dk")
    other_org = OrganizationFactory()
    mine = _log_at(clock, 1, organization=organization, user=anna)
    _log_at(clock, 1, organization=organization)
    create = _log_at(clock, 1, organization=organization, user=anna, tool_name="create_invoice")
    _log_at(clock, 1, organization=other_org)

    assert get_audit_logs(organization=organization, user=anna) == [create, mine]
    assert get_audit_logs(organization=organization, user=anna, tool_name="list_invoices") == [mine]
    assert len(get_audit_logs(organization=organization)) == 3
    assert len(get_audit_logs(organization=organization, limit=2)) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"limit": 0}, "limit must be an integer from 1 to 1000"),
        ({"limit": 1001}, "limit must be an integer from 1 to 1000"),
        ({"start": "2025-01-01"}, "start must be a timezone-aware datetime"),
        ({"end": __import__("datetime").datetime(2025, 1, 1)}, "end must be a timezone-aware datetime"),
    ],
)
def test_get_audit_logs_refuses_bad_input(organization, fields, message):
    with pytest.raises(ValidationError, match=message):
        get_audit_logs(organization=organization, **fields)


def test_get_audit_logs_refuses_a_start_after_the_end(organization, clock):
    with pytest.raises(ValidationError, match="is after end"):
        get_audit_logs(organization=organization, start=clock.now, end=clock.now - timedelta(seconds=1))


def test_deleting_an_organization_keeps_its_audit_trail(organization):
    entry = log_audit(tool_name="t", action="a", success=True, organization=organization)

    organization.delete()

    assert ToolAuditLog.objects.get(pk=entry.pk).organization is None
