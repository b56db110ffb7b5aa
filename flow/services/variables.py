"""Variables: a workflow's (or a global) typed values, stored as text and encrypted when secret.

`stored_variable_value` is the one place that turns a value into what the `value` column holds (the
admin's form and the demo data call it too); `variable_value` reads it back as Python.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from shared import crypto
from shared import validation as v

from ..models import Variable, Workflow

_VALUE_MAX = v.JSON_MAX_BYTES


def _encode_value(value: Any, type: str) -> str:
    """The text form of `value` for a variable of `type`, refusing what does not parse."""
    if type == Variable.Type.STRING:
        if value is None:
            return ""
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            value = str(value)
        return v.text(value, name="value", max_length=_VALUE_MAX, blank=True, strip=False)
    if type == Variable.Type.NUMBER:
        if isinstance(value, str):
            value = value.strip()
        number = v.decimal(value, name="value", max_digits=None, decimal_places=None, allow_float=True)
        return str(number)
    if type == Variable.Type.BOOLEAN:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = v.text(value, name="value", max_length=10).lower()
        if text not in ("true", "false"):
            raise ValidationError({"value": f"{text!r} is not a boolean (true or false)."})
        return text
    if type == Variable.Type.JSON:
        if isinstance(value, str):
            v.text(value, name="value", max_length=_VALUE_MAX, blank=True, strip=False)
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError) as error:
                raise ValidationError({"value": f"The value is not valid JSON: {error}."}) from None
            v.json_text(parsed, name="value")  # finite numbers, no \u0000, size
            return value
        v.json_text(value, name="value")
        return json.dumps(value)
    raise ValidationError(
        {"type": f"{v.shown(type)} is not a variable type ({', '.join(Variable.Type.values)})."}
    )


def stored_variable_value(*, value: Any, type: str, is_secret: bool) -> str:
    """What the `value` column holds: the text form, encrypted with shared.crypto when secret.

    A refused secret value is not repeated in the error: messages reach pages and logs.

    Raises ValidationError keyed by "value" (does not parse as `type`: text with NUL, a non-finite
    number, invalid JSON), "type" (unknown) or "is_secret" (not a bool).
    """
    type = v.choice(type, name="type", choices=Variable.Type.values)
    is_secret = v.boolean(is_secret, name="is_secret")
    if not is_secret:
        return _encode_value(value, type)
    if type not in Variable.Type.values:
        _encode_value(value, type)  # the error names the type only
    try:
        text = _encode_value(value, type)
    except ValidationError:
        raise ValidationError({"value": f"The secret value is not a valid {type}."}) from None
    if type == Variable.Type.JSON:
        # Compact form: pretty-printed JSON's line breaks would read as control characters in a secret.
        text = json.dumps(json.loads(text), separators=(",", ":"))
    return crypto.encrypt(crypto.validate_secret(text, name="value"))


def set_variable(
    *,
    key: str,
    value: Any,
    workflow: Workflow | None = None,
    type: str = Variable.Type.STRING,
    is_secret: bool = False,
    description: str | None = None,
) -> Variable:
    """Create or replace the variable `key` of `workflow` (None: a global one), in one upsert.

    Raises ValidationError keyed by the argument: a key or description outside its column, a workflow
    that is not saved, a value that does not parse as `type` (see stored_variable_value).
    """
    key = v.model_field(Variable, "key", key)
    workflow = v.optional_instance(workflow, name="workflow", model=Workflow)
    variable = Variable(
        workflow=workflow,
        key=key,
        value=stored_variable_value(value=value, type=type, is_secret=is_secret),
        type=type,
        is_secret=is_secret,
        description=v.model_field(Variable, "description", description),
    )
    v.full_clean(variable, validate_unique=False, validate_constraints=False)
    # INSERT … ON CONFLICT (workflow_id, key) DO UPDATE: the constraint is NULLS NOT DISTINCT, so a
    # global (workflow NULL) conflicts with the global of the same key too.
    Variable.objects.bulk_create(
        [variable],
        update_conflicts=True,
        unique_fields=["workflow", "key"],
        update_fields=["value", "type", "is_secret", "description", "updated_at"],
    )
    # The RETURNING id of an updated row is not copied back onto the object: read the row by its key.
    return Variable.objects.get(workflow=workflow, key=key)


def variable_value(*, variable: Variable) -> Any:
    """The variable's value as Python: str, Decimal, bool or the parsed JSON; decrypted if secret.

    Raises ValidationError keyed by "variable" (not a saved Variable); shared.crypto.DecryptionError
    when no configured key opens a secret.
    """
    variable = v.instance(variable, name="variable", model=Variable)
    text = crypto.decrypt(variable.value) if variable.is_secret else variable.value
    if variable.type == Variable.Type.NUMBER:
        return Decimal(text)
    if variable.type == Variable.Type.BOOLEAN:
        return text == "true"
    if variable.type == Variable.Type.JSON:
        return json.loads(text)
    return text
