"""The transforms that need Python, per table: secrets encrypted with shared.crypto on their way in.

A hook takes the row as a dict (column → text value) and changes it in place, or raises `Refused` with
the reason the row cannot be imported. `EXTRA_SOURCE` names the source columns a hook reads that are
not stored; `SECRET_COLUMNS` the columns whose current tokens the hook may keep (`ImportContext`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared import crypto


class Refused(Exception):
    """A row transform refuses the row; the message is the reason."""


@dataclass
class ImportContext:
    """What row hooks may read: the target's current secret tokens, to keep them when unchanged."""

    existing_secrets: dict[str, str] = field(default_factory=dict)


def _seal(context: ImportContext, row_id: str, plaintext: str) -> str:
    """Encrypt, but keep the stored token when it already holds this plaintext: a re-run changes nothing."""
    token = context.existing_secrets.get(row_id)
    if token is not None:
        with contextlib.suppress(crypto.DecryptionError):
            if crypto.decrypt(token) == plaintext:
                return token
    return crypto.encrypt(plaintext)


def _billy_api_key(context: ImportContext, row: dict[str, Any]) -> None:
    key = row["billy_api_key"]
    if key and not key.startswith(f"{crypto.PREFIX}:"):
        row["billy_api_key"] = _seal(context, row["id"], key)


def _flow_secret_value(context: ImportContext, row: dict[str, Any]) -> None:
    if row["is_secret"] not in ("t", True):
        return
    if row.pop("_encrypted") in ("t", True):
        raise Refused("secret value was encrypted by the old service with a key this project does not have")
    row["value"] = _seal(context, row["id"], row["value"])


ROW_HOOKS: dict[str, Callable[[ImportContext, dict[str, Any]], None]] = {
    "billy.organizations": _billy_api_key,
    "flow.variables": _flow_secret_value,
}
EXTRA_SOURCE = {"flow.variables": ("encrypted",)}  # read for the hook, not stored
SECRET_COLUMNS = {"billy.organizations": "billy_api_key", "flow.variables": "value"}
