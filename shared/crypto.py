"""Encryption of secrets at rest (billy API keys, flow secret variables) with AES-GCM.

Keys come from TEKUPDB_ENCRYPTION_KEY: one or more url-safe base64 keys of 32 bytes, comma-separated,
newest first. Encryption always uses the newest key; decryption finds the key by the id stored in the
token, so old rows keep working until they are re-encrypted (rotation). A token looks like
`v1:<key id>:<base64 nonce+ciphertext>`; it never contains the plaintext.

Which columns hold tokens is answered by `shared.fields.encrypted_fields()`; `shared.keyring` rotates
them all, `operations.health` checks them. `validate_secret` is the one check of a secret before it is
encrypted (API keys, webhook secrets, secret variables).

Generate a key: python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

PREFIX = "v1"
# A secret longer than this is a mistake (a pasted file, a whole header block), not a key.
MAX_SECRET_BYTES = 4096


class DecryptionError(ValueError):
    """A token cannot be decrypted with any configured key. The message never holds the secret."""


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


@lru_cache(maxsize=8)
def _parse_keys(raw: tuple[str, ...]) -> tuple[tuple[str, bytes], ...]:
    keys = []
    for position, item in enumerate(raw, start=1):
        try:
            key = base64.urlsafe_b64decode(item.strip() + "=" * (-len(item.strip()) % 4))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"TEKUPDB_ENCRYPTION_KEY entry {position} is not a url-safe base64 key of 32 bytes."
            )
        keys.append((_key_id(key), key))
    return tuple(keys)


def keys() -> tuple[tuple[str, bytes], ...]:
    """(id, key) pairs, newest first."""
    raw = tuple(settings.TEKUPDB_ENCRYPTION_KEYS)
    if not raw:
        raise ImproperlyConfigured("TEKUPDB_ENCRYPTION_KEY is not set; secrets cannot be encrypted.")
    return _parse_keys(raw)


def encrypt(plaintext: str) -> str:
    key_id, key = keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), key_id.encode())
    return f"{PREFIX}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    try:
        prefix, key_id, payload = token.split(":", 2)
    except (AttributeError, ValueError):
        raise DecryptionError("not an encrypted token") from None
    if prefix != PREFIX:
        raise DecryptionError(f"unknown token version {prefix!r}")
    key = dict(keys()).get(key_id)
    if key is None:
        raise DecryptionError(f"no configured key has id {key_id}; was a key removed too early?")
    try:
        blob = base64.urlsafe_b64decode(payload)
        return AESGCM(key).decrypt(blob[:12], blob[12:], key_id.encode()).decode()
    except (InvalidTag, ValueError):
        raise DecryptionError(f"token does not authenticate under key {key_id}") from None


def is_token(value: object) -> bool:
    """Whether `value` has the shape of a token (`v1:<key id>:<payload>`); says nothing of its key."""
    return isinstance(value, str) and value.startswith(f"{PREFIX}:") and value.count(":") >= 2


def key_id_of(token: str) -> str | None:
    """The id of the key that sealed `token`, or None when it is not a token."""
    return token.split(":", 2)[1] if is_token(token) else None


def current_key_id() -> str:
    """The id of the newest configured key: the one `encrypt` uses."""
    return keys()[0][0]


def key_ids() -> list[str]:
    """Ids of every configured key, newest first (ids, never keys, may be shown and logged)."""
    return [key_id for key_id, _ in keys()]


def validate_secret(value: object, *, name: str) -> str:
    """Refuse a secret (an API key, a webhook secret, a secret variable) that cannot be a real one.

    A ValidationError naming `name` when `value` is not a non-empty string, has surrounding whitespace,
    holds a control character (NUL, a line break, a tab: a key pasted with its line ending, or a
    truncated C string) or is longer than 4 kB in UTF-8. The message never repeats the value.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError({name: f"{name} must be a non-empty string."})
    if value != value.strip():
        raise ValidationError({name: f"{name} must not start or end with whitespace."})
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in value):
        raise ValidationError({name: f"{name} must not contain control characters."})
    size = len(value.encode())
    if size > MAX_SECRET_BYTES:
        raise ValidationError({name: f"{name} must be at most {MAX_SECRET_BYTES} bytes (it has {size})."})
    return value


def needs_rotation(token: str) -> bool:
    """True when the token was not sealed with the newest key."""
    return not token.startswith(f"{PREFIX}:{keys()[0][0]}:")


def mask(secret: str | None) -> str:
    """What a page may show of a secret: whether it is set, never any of it."""
    return "•••••• (set)" if secret else "(not set)"
