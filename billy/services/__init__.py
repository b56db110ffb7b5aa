"""Public API of the billy schema: organizations and their API keys, the TTL cache, audit, usage and
rate limits.

Every function is keyword-only and typed, and raises `ValidationError` naming what is wrong. Writes that
must hold under concurrent callers are single SQL statements (`INSERT … ON CONFLICT … DO UPDATE`), atomic
on their own; the others run in `transaction.atomic()`.

Secrets: `billy_api_key` is stored as a `shared.crypto` token (AES-GCM). The plaintext only leaves this
package through `get_api_key`; no message, log line or repr built here contains it, and the functions that
take it are marked `sensitive_variables` so that Django's error reports hide it too.

Time: every clock reading is `django.utils.timezone.now()`, so tests can move it. Usage rows are keyed
by the UTC date and UTC hour (one time zone, no daylight-saving overlap).

Import from here (`from billy.services import log_audit`); the code lives in a module per concern:

- `validation`: the argument checks the services share (`_text`, `_organization`, ...) and `MAX_TTL`;
- `organizations`: `find_organization`, `create_organization`, `set_api_key`, `get_api_key`;
- `cache`: `set_cached_*` / `get_cached_*` (invoices, customers, products), `clear_expired_cache`,
  `cache_tables`, `cache_figures`;
- `audit`: `log_audit`, `get_audit_logs`;
- `redaction`: which names and values are secrets, as `log_audit` stores them;
- `usage`: `track_usage`, `get_usage_metrics`, `get_daily_calls`;
- `rate_limits`: `check_rate_limit`, `rate_limit_window`, `RateLimitResult`, and the traffic the limiter
  counted: `requests_per_hour`, `busiest_endpoints`;
- `pruning`: `prune_history` (usage and rate-limit windows), `prune_tool_audit`.
"""

from __future__ import annotations

# Names callers used from billy.services before it became a package: they keep working.
from .audit import MAX_AUDIT_LIMIT as MAX_AUDIT_LIMIT
from .audit import get_audit_logs, log_audit
from .cache import DEFAULT_CACHE_TTL as DEFAULT_CACHE_TTL
from .cache import (
    cache_figures,
    cache_tables,
    clear_expired_cache,
    get_cached_customer,
    get_cached_invoice,
    get_cached_product,
    set_cached_customer,
    set_cached_invoice,
    set_cached_product,
)
from .organizations import create_organization, find_organization, get_api_key, set_api_key
from .pruning import prune_history, prune_tool_audit
from .rate_limits import MAX_WINDOW as MAX_WINDOW
from .rate_limits import (
    RateLimitResult,
    busiest_endpoints,
    check_rate_limit,
    rate_limit_window,
    requests_per_hour,
)
from .redaction import REDACTED as REDACTED
from .usage import _TRACK_USAGE_SQL as _TRACK_USAGE_SQL
from .usage import MAX_DURATION_MS as MAX_DURATION_MS
from .usage import _usage_slot as _usage_slot
from .usage import get_daily_calls, get_usage_metrics, track_usage
from .validation import MAX_TTL as MAX_TTL

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
