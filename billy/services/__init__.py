"""Public API of the billy schema: organizations and their API keys, the TTL cache, audit, usage and
rate limits.

Every function is keyword-only and typed, and raises `ValidationError` naming what is wrong. Writes that
must hold under concurrent callers are single SQL statements (`INSERT … ON CONFLICT … DO UPDATE`), atomic
on their own; the others run in `transaction.atomic()`.

Secrets: `billy_api_key` is stored as a `shared.crypto` token (AES-GCM). The plaintext only leaves this
module through `get_api_key`; no message, log line or repr built here contains it, and the functions that
take it are marked `sensitive_variables` so that Django's error reports hide it too.

Time: every clock reading is `django.utils.timezone.now()`, so tests can move it. Usage rows are keyed
by the UTC date and UTC hour (one time zone, no daylight-saving overlap).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from shared import crypto
from shared import validation as v
from shared.audit import record_prune, table_key
from shared.timeseries import hourly_totals
from tekupdb.db import partitions

from ..models import (
    CACHE_MODELS,
    CachedCustomer,
    CachedEntry,
    CachedInvoice,
    CachedProduct,
    Organization,
    OrganizationUser,
    RateLimit,
    ToolAuditLog,
    UsageMetric,
    is_expired,
    live_q,
)

DEFAULT_CACHE_TTL = timedelta(minutes=60)
MAX_AUDIT_LIMIT = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


__all__ = [
    "RateLimitResult",
    "busiest_endpoints",
    "cache_figures",
    "cache_tables",
    "check_rate_limit",
    "clear_expired_cache",
    "create_organization",
    "find_organization",
    "get_api_key",
    "get_audit_logs",
    "get_cached_customer",
    "get_cached_invoice",
    "get_cached_product",
    "get_daily_calls",
    "get_usage_metrics",
    "log_audit",
    "prune_history",
    "prune_tool_audit",
    "rate_limit_window",
    "requests_per_hour",
    "set_api_key",
    "set_cached_customer",
    "set_cached_invoice",
    "set_cached_product",
    "track_usage",
]

# A call that took longer than this many milliseconds (a week) is a clock error, not a duration.
MAX_DURATION_MS = 7 * 24 * 3600 * 1000
# A cache entry, a rate-limit window or a pruning horizon longer than these is a mistake.
MAX_TTL = timedelta(days=3660)
MAX_WINDOW = timedelta(days=366)


# --- validation helpers ---------------------------------------------------------------------------


def _text(field: str, value: Any, *, max_length: int = 255) -> str:
    return v.text(value, name=field, max_length=max_length)


def _optional_text(field: str, value: Any, *, max_length: int | None = 255) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return v.optional_text(value, name=field, max_length=max_length or v.TEXT_MAX_LENGTH)


def _organization(value: Any, field: str = "organization") -> Organization:
    return v.instance(value, name=field, model=Organization)


def _json_text(field: str, value: Any) -> str:
    return v.json_text(value, name=field)


def _aware(field: str, value: Any) -> datetime:
    return v.aware_datetime(value, name=field)


def _positive_timedelta(field: str, value: Any) -> timedelta:
    return v.duration(value, name=field, max_value=MAX_TTL)


def _api_key(value: Any) -> str:
    # The messages never repeat the value: it may be a real key typed into the wrong field. The general
    # text rules (no NUL, no lone surrogate) come first, then the key's own (shared.crypto).
    value = v.text(value, name="billy_api_key", max_length=8192, strip=False)
    value = crypto.validate_secret(value, name="billy_api_key")
    if any(ch.isspace() for ch in value):
        raise ValidationError({"billy_api_key": "billy_api_key must be one word, without spaces."})
    return value


# --- organizations and their API keys ------------------------------------------------------------


def find_organization(*, billy_organization_id: str) -> Organization | None:
    """The organization with this Billy.dk organization id, or None.

    Raises ValidationError keyed by "billy_organization_id": not non-empty text of at most 255 characters.
    """
    billy_organization_id = _text("billy_organization_id", billy_organization_id)
    return Organization.objects.filter(billy_organization_id=billy_organization_id).first()


@sensitive_variables("billy_api_key")
def create_organization(
    *,
    name: str,
    billy_api_key: str,
    billy_organization_id: str,
    settings: dict | None = None,
) -> Organization:
    """Create an organization; its API key is stored encrypted with the newest configured key.

    Raises ValidationError keyed by the argument: text outside its column, an API key with spaces (its
    value is never repeated), settings that are not a JSON object, a Billy id that is taken.
    """
    name = _text("name", name)
    billy_organization_id = _text("billy_organization_id", billy_organization_id)
    billy_api_key = _api_key(billy_api_key)
    settings = v.json_object(settings, name="settings")
    organization = Organization(
        name=name,
        billy_organization_id=billy_organization_id,
        billy_api_key=crypto.encrypt(billy_api_key),
        settings=settings or {},
    )
    try:
        with transaction.atomic():
            organization.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(
            {
                "billy_organization_id": (
                    f"An organization with Billy id '{billy_organization_id}' already exists."
                )
            }
        ) from None
    return organization


@sensitive_variables("billy_api_key")
def set_api_key(*, organization: Organization, billy_api_key: str) -> Organization:
    """Replace the organization's API key (staff rotating the Billy.dk key); stamps api_key_rotated_at.

    Raises ValidationError keyed by the argument: not a saved Organization, a malformed key.
    """
    organization = _organization(organization)
    token = crypto.encrypt(_api_key(billy_api_key))
    now = timezone.now()
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(
            billy_api_key=token, api_key_rotated_at=now, updated_at=now
        )
    organization.billy_api_key, organization.api_key_rotated_at = token, now
    return organization


@sensitive_variables("plaintext")
def get_api_key(*, organization: Organization) -> str:
    """The organization's API key in plaintext, read fresh from the database.

    Raises `shared.crypto.DecryptionError` (naming the organization, never the key) when no configured
    key can open the token, e.g. a key was removed from TEKUPDB_ENCRYPTION_KEY before rotation.
    Raises ValidationError keyed by "organization": not a saved Organization, or gone.
    """
    organization = _organization(organization)
    token = Organization.objects.filter(pk=organization.pk).values_list("billy_api_key", flat=True).first()
    if token is None:
        raise ValidationError({"organization": "organization no longer exists."})
    try:
        plaintext = crypto.decrypt(token)
    except crypto.DecryptionError as exc:
        raise crypto.DecryptionError(
            f"The API key of organization {organization.billy_organization_id} cannot be decrypted: {exc}"
        ) from None
    return plaintext


# --- the TTL cache ---------------------------------------------------------------------------------


def _cache_set(model: type[CachedEntry], organization, billy_id, data, ttl) -> datetime:
    organization = _organization(organization)
    billy_id = _text("billy_id", billy_id)
    ttl = _positive_timedelta("ttl", ttl)
    payload = _json_text("data", data)
    now = timezone.now()
    expires_at = now + ttl
    table = connection.ops.quote_name(model._meta.db_table)
    # One statement: concurrent setters of one key cannot collide, and it is atomic on its own.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, billy_id, data, cached_at, expires_at) "
            "VALUES (%s, %s, %s::jsonb, %s, %s) "
            "ON CONFLICT (organization_id, billy_id) DO UPDATE SET data = EXCLUDED.data, "
            "cached_at = EXCLUDED.cached_at, expires_at = EXCLUDED.expires_at, "
            "updated_at = EXCLUDED.cached_at",
            [organization.pk, billy_id, payload, now, expires_at],
        )
    return expires_at


def _cache_get(model: type[CachedEntry], organization, billy_id) -> Any | None:
    organization = _organization(organization)
    billy_id = _text("billy_id", billy_id)
    table = connection.ops.quote_name(model._meta.db_table)
    # The unique (organization_id, billy_id) index finds the row; expiry is checked here rather than in
    # SQL, so the planner has one obvious index to consider. An expired row is left for
    # clear_expired_cache: a read stays a read.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT data, expires_at FROM {table} WHERE organization_id = %s AND billy_id = %s",
            [organization.pk, billy_id],
        )
        row = cursor.fetchone()
    if row is None or is_expired(row[1]):
        return None
    return json.loads(row[0])


def set_cached_invoice(
    *, organization: Organization, billy_id: str, data: Any, ttl: timedelta = DEFAULT_CACHE_TTL
) -> datetime:
    """Cache an invoice's JSON until now + ttl (replacing any cached copy); returns the expiry.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its
    column, data that is not JSON (finite numbers, no \\u0000, at most 1 MB), a ttl over ten years.
    """
    return _cache_set(CachedInvoice, organization, billy_id, data, ttl)


def get_cached_invoice(*, organization: Organization, billy_id: str) -> Any | None:
    """The cached invoice JSON, or None when absent or expired.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its column.
    """
    return _cache_get(CachedInvoice, organization, billy_id)


def set_cached_customer(
    *, organization: Organization, billy_id: str, data: Any, ttl: timedelta = DEFAULT_CACHE_TTL
) -> datetime:
    """Cache a customer's JSON until now + ttl (replacing any cached copy); returns the expiry.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its
    column, data that is not JSON (finite numbers, no \\u0000, at most 1 MB), a ttl over ten years.
    """
    return _cache_set(CachedCustomer, organization, billy_id, data, ttl)


def get_cached_customer(*, organization: Organization, billy_id: str) -> Any | None:
    """The cached customer JSON, or None when absent or expired.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its column.
    """
    return _cache_get(CachedCustomer, organization, billy_id)


def set_cached_product(
    *, organization: Organization, billy_id: str, data: Any, ttl: timedelta = DEFAULT_CACHE_TTL
) -> datetime:
    """Cache a product's JSON until now + ttl (replacing any cached copy); returns the expiry.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its
    column, data that is not JSON (finite numbers, no \\u0000, at most 1 MB), a ttl over ten years.
    """
    return _cache_set(CachedProduct, organization, billy_id, data, ttl)


def get_cached_product(*, organization: Organization, billy_id: str) -> Any | None:
    """The cached product JSON, or None when absent or expired.

    Raises ValidationError keyed by the argument: not a saved Organization, a billy_id outside its column.
    """
    return _cache_get(CachedProduct, organization, billy_id)


def clear_expired_cache() -> dict[str, int]:
    """Delete every expired row of the three caches: {"invoices": n, "customers": n, "products": n}.

    Raises nothing of its own (it takes no arguments).
    """
    with transaction.atomic():
        return {name: rows.delete()[0] for name, rows in CachedEntry.objects.expired().items()}


def cache_tables() -> dict[str, str]:
    """The cache tables by name ("invoices", "customers", "products") and their labels for people.

    Raises nothing of its own (it takes no arguments).
    """
    return {name: str(model._meta.verbose_name_plural) for name, model in CACHE_MODELS.items()}


def cache_figures(*, cache: str, now: datetime, since: datetime) -> dict[str, int]:
    """One cache table in figures: {"rows": all, "live": not expired at `now`, "recent": cached since
    `since`}, in one aggregate query (the dashboard runs it per table under a statement timeout).

    Raises ValidationError keyed by the argument: a cache that is not one of `cache_tables()`, a now or
    since that is not a timezone-aware datetime.
    """
    cache = v.choice(cache, name="cache", choices=CACHE_MODELS)
    now = v.aware_datetime(now, name="now")
    since = v.aware_datetime(since, name="since")
    return CACHE_MODELS[cache].objects.aggregate(
        rows=Count("pk"),
        live=Count("pk", filter=live_q(now)),
        recent=Count("pk", filter=Q(cached_at__gte=since)),
    )


def requests_per_hour(*, since: datetime, hours: int = 24) -> list[tuple[datetime, int]]:
    """Requests counted by the rate limiter per hour, for `hours` + 1 hours from the hour of `since`
    (every organization and endpoint together; hours without requests are 0).

    Raises ValidationError keyed by the argument: a since that is not a timezone-aware datetime, hours
    outside 1-744 (a month).
    """
    since = v.aware_datetime(since, name="since")
    hours = v.integer(hours, name="hours", min_value=1, max_value=744)
    return hourly_totals(
        RateLimit.objects.all(), field="window_start", since=since, hours=hours, value="request_count"
    )


def busiest_endpoints(*, since: datetime, limit: int = 5) -> list[dict[str, Any]]:
    """The (organization, endpoint) pairs with the most requests since `since`, most first:
    [{"organization__name", "endpoint", "requests"}, …], at most `limit`.

    Raises ValidationError keyed by the argument: a since that is not a timezone-aware datetime, a
    limit outside 1-100.
    """
    since = v.aware_datetime(since, name="since")
    limit = v.integer(limit, name="limit", min_value=1, max_value=100)
    busiest = (
        RateLimit.objects.filter(window_start__gte=since)
        .values("organization__name", "endpoint")
        .annotate(requests=Sum("request_count"))
        .order_by("-requests")[:limit]
    )
    return [dict(row) for row in busiest]


# --- audit -----------------------------------------------------------------------------------------

# Redaction of what log_audit stores (input_params and output_data, at any depth). Names are compared
# in any case and with any separator ("x-api-key", "X_API_KEY", "apiKey" are one name). A name is
# secret when its letters contain one of these words ...
_SECRET_NAME_PARTS = (
    "secret",
    "password",
    "passwd",
    "passphrase",
    "authorization",
    "apikey",
    "cookie",
    "credential",
    "privatekey",
)
# ... or when its last word ends in "token" (token, access_token, accessToken, refresh_token, csrftoken:
# the thing named is a token; "token_count" and "max_tokens" name a number), or one of its words is
# "session" (session, session_id, sessionKey: a session id is a credential).
_CAMEL_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
# A value is secret by its shape wherever it sits: an HTTP bearer credential (8+ token characters, so
# that "a bearer of news" stays) or a JWT.
_SECRET_VALUE = re.compile(
    r"\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", re.IGNORECASE
)
# Configured secrets shorter than this are not searched for inside longer strings (only equality):
# a short one would match ordinary text.
_MIN_CONTAINED_SECRET = 8
REDACTED = "[redacted]"


def _is_secret_name(name: str) -> bool:
    """Whether a parameter or field called `name` holds a secret (case and separator insensitive)."""
    words = _WORD.findall(_CAMEL_BOUNDARY.sub(r"\1 \2", name).lower())
    if not words:
        return False
    compact = "".join(words)
    return (
        any(part in compact for part in _SECRET_NAME_PARTS)
        or words[-1].endswith("token")
        or "session" in words
    )


@sensitive_variables("secrets", "key")
def _configured_secrets(organization: Organization | None) -> frozenset[str]:
    """Secret values this process knows: settings' secrets and the organization's Billy API key."""
    from django.conf import settings

    secrets = {settings.SECRET_KEY, getattr(settings, "VAULT_EMBEDDING_API_KEY", "")}
    secrets.update(getattr(settings, "TEKUPDB_ENCRYPTION_KEYS", ()))
    secrets.update(str(db.get("PASSWORD") or "") for db in settings.DATABASES.values())
    if organization is not None and crypto.is_token(organization.billy_api_key):
        # An unreadable key cannot be matched; the audit must still be written.
        with suppress(crypto.DecryptionError, ImproperlyConfigured):
            secrets.add(crypto.decrypt(organization.billy_api_key))
    return frozenset(secret for secret in secrets if secret)


def _secret_value(value: str, secrets: frozenset[str]) -> bool:
    if value in secrets or _SECRET_VALUE.search(value):
        return True
    return any(len(secret) >= _MIN_CONTAINED_SECRET and secret in value for secret in secrets)


def _redact(value: Any, *, secrets: frozenset[str] = frozenset()) -> Any:
    """`value` with every secret replaced by "[redacted]": values under secret-named keys, bearer
    tokens and JWTs, and strings equal to (or containing) one of `secrets`; dicts, lists and tuples
    are walked to any depth. A new structure is returned; `value` is not changed."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and _is_secret_name(key) else _redact(item, secrets=secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item, secrets=secrets) for item in value]
    if isinstance(value, str) and _secret_value(value, secrets):
        return REDACTED
    return value


@sensitive_variables("secrets")
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

    `input_params` and `output_data` are stored through `redact`: at any depth, values under keys named
    like a secret (token, secret, password, authorization, api-key, access_token, refresh_token, cookie,
    session; any case, any separator), bearer tokens, JWTs and values equal to a configured secret
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
    if organization is not None:
        _organization(organization)
    if user is not None:
        user = v.instance(user, name="user", model=OrganizationUser)
        if organization is not None and user.organization_id != organization.pk:
            raise ValidationError(
                {"user": f"user {user.email} does not belong to organization {organization}."}
            )
    if duration_ms is not None:
        duration_ms = v.integer(duration_ms, name="duration_ms", min_value=0)
    if ip_address is not None:
        ip_address = v.text(ip_address, name="ip_address", max_length=45)
        try:
            validate_ipv46_address(ip_address)
        except ValidationError:
            raise ValidationError({"ip_address": f"'{ip_address}' is not an IPv4 or IPv6 address."}) from None
    v.json_object(input_params, name="input_params")
    secrets = _configured_secrets(
        organization if organization is not None else getattr(user, "organization", None)
    )
    input_params = _redact(input_params, secrets=secrets)
    output_data = _redact(output_data, secrets=secrets)
    _json_text("input_params", input_params)
    _json_text("output_data", output_data)
    entry = ToolAuditLog(
        created_at=timezone.now(),  # from the clock the services read, so audit ranges line up with it
        organization_id=organization.pk
        if organization is not None
        else getattr(user, "organization_id", None),
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


# --- usage -----------------------------------------------------------------------------------------

_TRACK_USAGE_SQL = """
INSERT INTO {table} AS m (
    organization_id, date, hour, tool_name, call_count, success_count, error_count,
    duration_sum_ms, duration_count, avg_duration_ms, cache_hits, cache_lookups, cache_hit_rate
) VALUES (
    %(organization)s, %(date)s, %(hour)s, %(tool_name)s, 1, %(success)s, 1 - %(success)s,
    %(duration)s, %(timed)s, %(average)s, %(hit)s, %(lookup)s, %(rate)s
)
ON CONFLICT (organization_id, date, hour, tool_name) DO UPDATE SET
    call_count = m.call_count + 1,
    success_count = m.success_count + EXCLUDED.success_count,
    error_count = m.error_count + EXCLUDED.error_count,
    duration_sum_ms = m.duration_sum_ms + EXCLUDED.duration_sum_ms,
    duration_count = m.duration_count + EXCLUDED.duration_count,
    avg_duration_ms = CASE WHEN m.duration_count + EXCLUDED.duration_count > 0
        THEN (m.duration_sum_ms + EXCLUDED.duration_sum_ms) / (m.duration_count + EXCLUDED.duration_count)
        ELSE m.avg_duration_ms END,
    cache_hits = m.cache_hits + EXCLUDED.cache_hits,
    cache_lookups = m.cache_lookups + EXCLUDED.cache_lookups,
    cache_hit_rate = CASE WHEN m.cache_lookups + EXCLUDED.cache_lookups > 0
        THEN round(100.0 * (m.cache_hits + EXCLUDED.cache_hits)
                   / (m.cache_lookups + EXCLUDED.cache_lookups), 2)
        ELSE m.cache_hit_rate END,
    updated_at = now()
"""


def _usage_slot(moment: datetime) -> tuple[date, int]:
    """The (UTC date, UTC hour) under which a call at `moment` is counted."""
    moment = moment.astimezone(UTC)
    return moment.date(), moment.hour


def track_usage(
    *,
    organization: Organization,
    tool_name: str,
    success: bool,
    duration_ms: float | None = None,
    cache_hit: bool | None = None,
) -> None:
    """Count one tool call in the current UTC hour's row of (organization, UTC date, UTC hour, tool).

    One atomic upsert adds to the counters and to the running sums behind `avg_duration_ms` (mean of the
    calls that gave a duration) and `cache_hit_rate` (percentage of the calls that gave `cache_hit`), and
    recomputes both from the sums, so concurrent callers never lose a call or skew the averages.

    Raises ValidationError keyed by the argument: not a saved Organization, a tool name outside its
    column, success or cache_hit not a bool, a duration that is not a finite number of ms from 0 to a week.
    """
    organization = _organization(organization)
    tool_name = _text("tool_name", tool_name)
    if not isinstance(success, bool):
        raise ValidationError({"success": "success must be True or False."})
    if duration_ms is not None:
        duration_ms = v.number(duration_ms, name="duration_ms", min_value=0, max_value=MAX_DURATION_MS)
    if cache_hit is not None and not isinstance(cache_hit, bool):
        raise ValidationError({"cache_hit": "cache_hit must be True, False or None."})
    day, hour = _usage_slot(timezone.now())
    hit = int(bool(cache_hit))
    params: dict[str, Any] = {
        "organization": organization.pk,
        "date": day,
        "hour": hour,
        "tool_name": tool_name,
        "success": int(success),
        "duration": duration_ms or 0.0,
        "timed": int(duration_ms is not None),
        "average": duration_ms,
        "hit": hit,
        "lookup": int(cache_hit is not None),
        "rate": None if cache_hit is None else 100 * hit,
    }
    table = connection.ops.quote_name(UsageMetric._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_TRACK_USAGE_SQL.format(table=table), params)


def _slot_bound(field: str, value: Any, *, upper: bool) -> Q:
    if isinstance(value, datetime):
        day, hour = _usage_slot(_aware(field, value))
        if upper:
            return Q(date__lt=day) | Q(date=day, hour__lte=hour)
        return Q(date__gt=day) | Q(date=day, hour__gte=hour)
    if isinstance(value, date):
        value = v.date(value, name=field)
        return Q(date__lte=value) if upper else Q(date__gte=value)
    raise ValidationError({field: f"{field} must be a date or a timezone-aware datetime."})


def get_usage_metrics(
    *, organization: Organization, start: date | datetime, end: date | datetime
) -> QuerySet:
    """Usage rows of the organization from start to end inclusive, oldest first.

    Dates are UTC dates (whole days); a datetime selects the UTC hour it falls in.

    Raises ValidationError keyed by the argument: not a saved Organization, a start or end that is not
    a date or an aware datetime from 1900 through 2200, a start after the end.
    """
    organization = _organization(organization)
    lower = _slot_bound("start", start, upper=False)
    upper = _slot_bound("end", end, upper=True)
    if _slot_of(start, upper=False) > _slot_of(end, upper=True):
        raise ValidationError({"start": "start is after end."})
    return (
        UsageMetric.objects.filter(organization=organization)
        .filter(lower)
        .filter(upper)
        .order_by("date", "hour", "tool_name")
    )


def _slot_of(value: date | datetime, *, upper: bool) -> tuple[date, int]:
    return _usage_slot(value) if isinstance(value, datetime) else (value, 23 if upper else 0)


def get_daily_calls(*, organization: Organization, days: int = 30) -> list[tuple[date, int, int]]:
    """(UTC date, calls, errors) for each of the last `days` UTC days up to today, zero-filled.

    Raises ValidationError keyed by the argument: not a saved Organization, days outside 1..366.
    """
    organization = _organization(organization)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        raise ValidationError({"days": f"days must be an integer from 1 to 366, got {v.shown(days)}."})
    today = _usage_slot(timezone.now())[0]
    first = today - timedelta(days=days - 1)
    totals = {
        row["date"]: (row["calls"], row["errors"])
        for row in UsageMetric.objects.filter(organization=organization, date__gte=first, date__lte=today)
        .values("date")
        .annotate(calls=Sum("call_count"), errors=Sum("error_count"))
        .order_by()
    }
    return [(first + timedelta(days=n), *totals.get(first + timedelta(days=n), (0, 0))) for n in range(days)]


# --- rate limits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimitResult:
    """Whether this call may proceed, how many more the window allows, and when the window ends."""

    allowed: bool
    remaining: int
    reset_at: datetime
    limit: int


def rate_limit_window(*, moment: datetime, window: timedelta) -> tuple[datetime, datetime]:
    """The aligned fixed window holding `moment`: start = floor(moment / window) * window (from the epoch).

    Raises ValidationError keyed by the argument: a naive or out-of-range moment, a window not from one
    second to 366 days.
    """
    return _window_of(_aware("moment", moment), _window(window))


def _window(window: Any) -> timedelta:
    return v.duration(window, name="window", min_value=timedelta(seconds=1), max_value=MAX_WINDOW)


def _window_of(moment: datetime, window: timedelta) -> tuple[datetime, datetime]:
    width = window // _MICROSECOND
    start = _EPOCH + timedelta(microseconds=((moment - _EPOCH) // _MICROSECOND) // width * width)
    return start, start + window


# The NOT EXISTS read only makes a refusal cheap: once a window is full it is refused without taking
# the row lock (and without a transaction id, so without a WAL flush at commit). Counts only grow within
# a window, so a full window seen by that read is full for the statement too. What decides an allowed
# call is ON CONFLICT … WHERE under the row lock: concurrent callers queue there and see each other's
# increments, so never more than `limit` are counted.
_RATE_LIMIT_SQL = """
INSERT INTO {table} AS r (organization_id, endpoint, window_start, window_end, request_count)
SELECT %(organization)s, %(endpoint)s, %(start)s, %(end)s, 1
WHERE NOT EXISTS (
    SELECT 1 FROM {table}
    WHERE organization_id = %(organization)s AND endpoint = %(endpoint)s AND window_start = %(start)s
      AND request_count >= %(limit)s
)
ON CONFLICT (organization_id, endpoint, window_start)
DO UPDATE SET request_count = r.request_count + 1, updated_at = now()
WHERE r.request_count < %(limit)s
RETURNING request_count
"""


def check_rate_limit(
    *,
    organization: Organization,
    endpoint: str,
    limit: int = 100,
    window: timedelta = timedelta(minutes=15),
) -> RateLimitResult:
    """Count one call of `endpoint` in the current aligned window and say whether it is allowed.

    One statement inserts the window's row or adds one to its count only while the count is below
    `limit`; no returned row means the window is full. Row locking makes concurrent callers queue on
    the row, so exactly `limit` calls per window are allowed, never more. A refused call is not counted.

    Raises ValidationError keyed by the argument: not a saved Organization, an endpoint outside its
    column, a limit outside 1..2^31-1, a window not from one second to 366 days.
    """
    organization = _organization(organization)
    endpoint = _text("endpoint", endpoint)
    limit = v.integer(limit, name="limit", min_value=1)
    window = _window(window)
    start, end = _window_of(timezone.now(), window)
    table = connection.ops.quote_name(RateLimit._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            _RATE_LIMIT_SQL.format(table=table),
            {
                "organization": organization.pk,
                "endpoint": endpoint,
                "start": start,
                "end": end,
                "limit": limit,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return RateLimitResult(allowed=False, remaining=0, reset_at=end, limit=limit)
    return RateLimitResult(allowed=True, remaining=limit - row[0], reset_at=end, limit=limit)


# --- pruning ---------------------------------------------------------------------------------------


def prune_history(*, older_than: timedelta, dry_run: bool = False) -> dict[str, int]:
    """Delete rate-limit windows that ended, and usage hours that ended, more than `older_than` ago.

    A window still open is never deleted, whatever its length (that would reset its count).
    Usage metrics are partitioned by month (billy migration 0006): whole months before the cutoff's
    month are dropped as partitions (constant time; a big one's count is the planner's estimate), and
    only the rows of the cutoff's month (and of the DEFAULT partition) are deleted row by row. The
    rate-limit windows are a small table and stay a DELETE. A prune that removed something leaves
    one entry in the shared audit (action "prune").
    Returns {"rate_limits": n, "usage_metrics": n} (what would be deleted, with dry_run).

    Raises ValidationError keyed by the argument: older_than not from 1 µs to ten years, dry_run not a bool.
    """
    older_than = _positive_timedelta("older_than", older_than)
    dry_run = v.boolean(dry_run, name="dry_run")
    cutoff = timezone.now() - older_than
    day, hour = _usage_slot(cutoff)
    windows = RateLimit.objects.filter(window_start__lt=cutoff).filter(
        Q(window_end__isnull=True) | Q(window_end__lte=cutoff)
    )
    # Hour h of a day ends at h+1:00, so it ended by the cutoff when h < the cutoff's hour.
    usage = UsageMetric.objects.filter(Q(date__lt=day) | Q(date=day, hour__lt=hour))
    if dry_run:
        pruned = partitions.prune(
            table=table_key(UsageMetric), column="date", before=day, queryset=usage, dry_run=True
        )
        return {"rate_limits": windows.count(), "usage_metrics": pruned.rows}
    with transaction.atomic():
        counts = {"rate_limits": windows.delete()[0]}
        pruned = partitions.prune(table=table_key(UsageMetric), column="date", before=day, queryset=usage)
        counts["usage_metrics"] = pruned.rows
        record_prune(
            table=table_key(UsageMetric), older_than=older_than, cutoff=cutoff, pruned=pruned, **counts
        )
    return counts


def prune_tool_audit(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Delete the tool audit entries (billy.audit_logs) created more than `older_than` ago: whole
    months as dropped partitions, the cutoff's month row by row. Returns the number of entries
    (would be) deleted; a prune that removed something leaves one entry in the shared audit.

    Raises ValidationError keyed by the argument: older_than not from 1 µs to ten years, dry_run not a bool.
    """
    older_than = _positive_timedelta("older_than", older_than)
    dry_run = v.boolean(dry_run, name="dry_run")
    cutoff = timezone.now() - older_than
    entries = ToolAuditLog.objects.filter(created_at__lt=cutoff)
    with transaction.atomic():
        pruned = partitions.prune(
            table=table_key(ToolAuditLog),
            column="created_at",
            before=cutoff,
            queryset=entries,
            dry_run=dry_run,
        )
        if not dry_run:
            record_prune(table=table_key(ToolAuditLog), older_than=older_than, cutoff=cutoff, pruned=pruned)
    return pruned.rows
