"""What of a tool call's arguments and result is a secret, so that `log_audit` stores "[redacted]" instead.

Names are compared in any case and with any separator ("x-api-key", "X_API_KEY", "apiKey" are one name);
values are recognised by their shape (bearer credentials, JWTs) or as one of the secrets this process
knows (settings' keys and passwords, the organization's Billy API key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

from shared import crypto

from ..models import Organization

# A name is secret when its letters contain one of these words ...
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
