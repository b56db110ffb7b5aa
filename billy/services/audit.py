"""The tool audit: one entry per call of an MCP tool (`log_audit`, secrets redacted), and reading it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from shared import validation as v

from ..models import Organization, OrganizationUser, ToolAuditLog
from .redaction import _configured_secrets, _redact
from .validation import _aware, _json_text, _optional_text, _organization, _text

MAX_AUDIT_LIMIT = 1000


def log_audit(
    *,
    tool_name: str,
    action: str,
    success: bool,
    organization: Organization | None = None,
    user: OrganizationUser | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    input_params: dict | None = None,
    output_data: Any | None = None,
    error_message: str | None = None,
    duration_ms: int | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> ToolAuditLog:
    """Record one call of an MCP tool.

    `input_params` and `output_data` are stored through `redaction._redact`: at any depth, values under
    keys named like a secret (token, secret, password, authorization, api-key, access_token, refresh_token,
    cookie, session; any case, any separator), bearer tokens, JWTs and values equal to a configured secret
    (Django's SECRET_KEY, the encryption keys, the organization's Billy API key, ...) become
    "[redacted]". A user without an organization logs under the user's organization.

    Raises ValidationError keyed by the argument: text outside its column, success not a bool, an
    organization or user that is not saved (or a user of another organization), a duration outside
    0..2^31-1, an IP that is not IPv4/IPv6, input_params not a JSON object, output_data not JSON.
    """
    tool_name = _text("tool_name", tool_name)
    action = _text("action", action)
    if not isinstance(success, bool):
        raise ValidationError({"success": "success must be True or False."})
    user = _checked_caller(organization=organization, user=user)
    if duration_ms is not None:
        duration_ms = v.integer(duration_ms, name="duration_ms", min_value=0)
    ip_address = _checked_ip_address(ip_address)
    v.json_object(input_params, name="input_params")
    owner = organization if organization is not None else getattr(user, "organization", None)
    input_params, output_data = _redacted_payload(input_params, output_data, owner=owner)
    entry = ToolAuditLog(
        created_at=timezone.now(),  # from the clock the services read, so audit ranges line up with it
        organization_id=getattr(owner, "pk", None),
        user=user,
        tool_name=tool_name,
        action=action,
        success=success,
        resource_type=_optional_text("resource_type", resource_type),
        resource_id=_optional_text("resource_id", resource_id),
        input_params=input_params,
        output_data=output_data,
        error_message=_optional_text("error_message", error_message, max_length=None),
        duration_ms=duration_ms,
        ip_address=ip_address,
        user_agent=_optional_text("user_agent", user_agent, max_length=None),
    )
    with transaction.atomic():
        entry.save(force_insert=True)
    return entry


def _checked_caller(
    *, organization: Organization | None, user: OrganizationUser | None
) -> OrganizationUser | None:
    """The user, after checking that the organization and the user are saved and that they match."""
    if organization is not None:
        _organization(organization)
    if user is not None:
        user = v.instance(user, name="user", model=OrganizationUser)
        if organization is not None and user.organization_id != organization.pk:
            raise ValidationError(
                {"user": f"user {user.email} does not belong to organization {organization}."}
            )
    return user


def _checked_ip_address(ip_address: Any) -> str | None:
    if ip_address is None:
        return None
    ip_address = v.text(ip_address, name="ip_address", max_length=45)
    try:
        validate_ipv46_address(ip_address)
    except ValidationError:
        raise ValidationError({"ip_address": f"'{ip_address}' is not an IPv4 or IPv6 address."}) from None
    return ip_address


@sensitive_variables("secrets")
def _redacted_payload(input_params: Any, output_data: Any, *, owner: Organization | None) -> tuple[Any, Any]:
    """The call's arguments and result as the audit stores them: secrets redacted (the owner's Billy API
    key among them), then checked to be JSON its column holds."""
    secrets = _configured_secrets(owner)
    input_params = _redact(input_params, secrets=secrets)
    output_data = _redact(output_data, secrets=secrets)
    _json_text("input_params", input_params)
    _json_text("output_data", output_data)
    return input_params, output_data


def get_audit_logs(
    *,
    organization: Organization,
    user: OrganizationUser | None = None,
    tool_name: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
) -> list[ToolAuditLog]:
    """The organization's audit entries, newest first; `start <= created_at <= end`, both bounds kept.

    Raises ValidationError keyed by the argument: not a saved Organization or OrganizationUser, a tool
    name outside its column, a naive or out-of-range datetime, start after end, a limit outside 1..1000.
    """
    organization = _organization(organization)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_AUDIT_LIMIT:
        raise ValidationError(
            {"limit": f"limit must be an integer from 1 to {MAX_AUDIT_LIMIT}, got {v.shown(limit)}."}
        )
    logs = ToolAuditLog.objects.filter(organization=organization)
    if user is not None:
        user = v.instance(user, name="user", model=OrganizationUser)
        logs = logs.filter(user=user)
    if tool_name is not None:
        logs = logs.filter(tool_name=_text("tool_name", tool_name))
    if start is not None:
        logs = logs.filter(created_at__gte=_aware("start", start))
    if end is not None:
        logs = logs.filter(created_at__lte=_aware("end", end))
    if start is not None and end is not None and start > end:
        raise ValidationError({"start": f"start ({start.isoformat()}) is after end ({end.isoformat()})."})
    return list(logs.select_related("user").order_by("-created_at", "-id")[:limit])
