"""What the admin writes to shared.audit_logs: who changed which object, field by field.

Each add, change and delete made in the admin becomes one `log_event` with action `admin.add`,
`admin.change` or `admin.delete`, resource type the model's label (`vault.document`), the object's
primary key, and in `metadata` the table, the object's text and `changes`: `{field: {"before": …,
"after": …}}`. A field is secret (its values are never written, only that it changed) if its name
contains key, secret, password or token, or if the ModelAdmin lists it in `secret_fields`.
Long values are cut, so that an edit of a document's text does not copy the text into the log.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from .services import log_event

SECRET_MARKERS = ("key", "secret", "password", "token")
MASK = "********"
MAX_TEXT = 200
MAX_JSON = 1000


def is_secret(name: str, secret_fields: Iterable[str] = ()) -> bool:
    lowered = name.lower()
    return name in secret_fields or any(marker in lowered for marker in SECRET_MARKERS)


def audit_value(value: Any) -> Any:
    """A JSON-serialisable, bounded rendering of a field value for the log."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        items = list(value)
        if len(items) > 50 and all(isinstance(item, float | int) for item in items):
            return f"<{len(items)} numbers>"
        rendered = [audit_value(item) for item in items]
        if isinstance(value, models.QuerySet | set | frozenset):
            rendered = sorted(rendered, key=str)
        return _bounded_json(rendered)
    if isinstance(value, dict):
        return _bounded_json({str(key): audit_value(item) for key, item in value.items()})
    if hasattr(value, "tolist") or hasattr(value, "to_list"):  # numpy arrays, pgvector vectors
        return f"<vector of {len(value)}>"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    text = str(value)
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}… ({len(text)} characters)"


def _bounded_json(value: Any) -> Any:
    encoded = json.dumps(value, default=str)
    return value if len(encoded) <= MAX_JSON else f"{encoded[:MAX_JSON]}… ({len(encoded)} characters)"


def _entry(name: str, before: Any, after: Any, secret_fields: Iterable[str]) -> dict[str, Any]:
    if is_secret(name, secret_fields):
        return {"before": MASK if before not in (None, "") else None, "after": MASK if after else None}
    return {"before": audit_value(before), "after": audit_value(after)}


def form_changes(form, *, adding: bool, secret_fields: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """The fields a valid (model) form changes: before from its initial data, after from cleaned_data."""
    if adding:
        names = [
            name
            for name, value in form.cleaned_data.items()
            if value not in (None, "", [], {}) and not (isinstance(value, models.QuerySet) and not value)
        ]
        return {name: _entry(name, None, form.cleaned_data[name], secret_fields) for name in names}
    return {
        name: _entry(name, form.initial.get(name), form.cleaned_data.get(name), secret_fields)
        for name in form.changed_data
    }


def object_snapshot(obj: models.Model, *, secret_fields: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Every concrete field of an object that is about to disappear, as before → None."""
    return {
        field.name: _entry(field.name, field.value_from_object(obj), None, secret_fields)
        for field in obj._meta.concrete_fields
    }


def record(
    *,
    user,
    action: str,
    obj: models.Model,
    changes: dict[str, dict[str, Any]],
    parent: models.Model | None = None,
) -> None:
    """Write one admin event for `obj` to shared.audit_logs."""
    metadata: dict[str, Any] = {
        "source": "admin",
        "table": obj._meta.db_table.replace('"', ""),
        "object": audit_value(str(obj)),
        "changes": changes,
    }
    if parent is not None:
        metadata["parent"] = {"type": parent._meta.label_lower, "id": str(parent.pk)}
    log_event(
        action=f"admin.{action}",
        resource_type=obj._meta.label_lower,
        resource_id=obj.pk,
        user=user if getattr(user, "is_authenticated", False) else None,
        metadata=metadata,
    )
