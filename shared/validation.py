"""The one set of validators that every app's services use (issue #14).

Each validator takes the value and the `name` of the argument it came in as, returns the cleaned value,
and refuses anything else with a `ValidationError` keyed by that name (`{"email": ["…"]}`), so a caller
always learns which argument was wrong. They are written against what PostgreSQL and the admin can hold,
not only what the model says: text without NUL or lone surrogates, JSON with finite numbers and no
`\\u0000`, decimals within their column's digits, datetimes the admin can still render (1900–2200),
integers within their column's type, http(s) urls, saved model instances of the right model.

`model_field()` / `model_fields()` read the limits (max_length, digits, choices, the integer column's
range) off the model field the value is written to, so a limit lives once, on the model.

Django's own validators do not cover this: a model field's `full_clean()` lets NUL characters, lone
surrogates, NaN inside JSON and far-future datetimes through to the database, and its errors are keyed
by the column, not by the argument; hence this module, which builds on Django's validators where they fit
(email, url).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Context, Decimal, InvalidOperation
from typing import Any, TypeVar

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)

# An unbounded text column still gets a limit: a 1 GB string would be accepted by PostgreSQL, then
# break every page that shows it.
TEXT_MAX_LENGTH = 1_000_000
# JSON payloads (cached invoices, flow variables, step input): 1 MB of encoded JSON.
JSON_MAX_BYTES = 1_000_000
JSON_MAX_DEPTH = 64
# The admin formats datetimes with Python's datetime: year 9999 in UTC overflows in a local zone, and
# PostgreSQL's own range (4713 BC – 294276 AD) is far beyond Python's. Kept to what people book or log.
MIN_DATETIME = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
MAX_DATETIME = dt.datetime(2201, 1, 1, tzinfo=dt.UTC)  # exclusive: the whole of 2200 is allowed
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
# PostgreSQL's integer column types.
SMALLINT = (-(2**15), 2**15 - 1)
INTEGER = (-(2**31), 2**31 - 1)
BIGINT = (-(2**63), 2**63 - 1)
# A list argument (tags, e-mail recipients, allowed IPs) holds at most this many items.
LIST_MAX_ITEMS = 1000

_URL = URLValidator(schemes=["http", "https"])
_EMAIL = EmailValidator()
# An absolute path of RFC 3986 characters, optionally with a query; not "//host" (scheme-relative).
_PATH = re.compile(r"/(?!/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?")
_JSON = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def invalid(name: str, message: str) -> ValidationError:
    """A ValidationError keyed by the argument `name`."""
    return ValidationError({name: message})


def _kind(value: Any) -> str:
    return type(value).__name__


def shown(value: Any) -> str:
    """`value` for a message: its repr, cut (a refused value may be a megabyte); only the type when the
    repr itself fails (an unsaved model instance's __str__ may follow a relation it does not have)."""
    try:
        text = repr(value)
    except Exception:
        return f"a {_kind(value)}"
    return text if len(text) <= 60 else text[:57] + "..."


# --- text ------------------------------------------------------------------------------------------


def text(
    value: Any,
    *,
    name: str,
    max_length: int | None = TEXT_MAX_LENGTH,
    max_bytes: int | None = None,
    blank: bool = False,
    strip: bool = True,
) -> str:
    """A str without NUL characters or lone surrogates, stripped (unless told), not blank (unless
    `blank`), at most `max_length` characters and, for indexed columns, `max_bytes` UTF-8 bytes."""
    if not isinstance(value, str):
        kind = "a string" if blank else "a non-empty string"
        raise invalid(name, f"{name} must be {kind}, not {_kind(value)}.")
    if "\x00" in value:
        raise invalid(name, f"{name} contains a NUL character, which PostgreSQL text cannot hold.")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(name, f"{name} contains a lone surrogate: it is not valid Unicode text.") from None
    if strip:
        value = value.strip()
    if not blank and not value.strip():
        raise invalid(name, f"{name} must be a non-empty string.")
    if max_length is not None and len(value) > max_length:
        raise invalid(name, f"{name} must be at most {max_length} characters (it has {len(value)}).")
    if max_bytes is not None and len(encoded) > max_bytes:
        raise invalid(name, f"{name} must be at most {max_bytes} bytes in UTF-8 (it has {len(encoded)}).")
    return value


def optional_text(value: Any, *, name: str, **limits: Any) -> str | None:
    """None, or text as `text()` checks it; a blank string becomes None."""
    if value is None:
        return None
    cleaned = text(value, name=name, blank=True, **limits)
    return cleaned or None


def string_list(
    value: Any, *, name: str, max_length: int | None = 255, max_items: int = LIST_MAX_ITEMS
) -> list[str]:
    """A list (or tuple) of non-empty texts, each at most `max_length` characters."""
    if not isinstance(value, list | tuple):
        raise invalid(name, f"{name} must be a list of strings, not {_kind(value)}.")
    if len(value) > max_items:
        raise invalid(name, f"{name} has {len(value)} items; at most {max_items}.")
    cleaned = []
    for index, item in enumerate(value):
        try:
            cleaned.append(text(item, name=name, max_length=max_length))
        except ValidationError as error:
            raise invalid(name, f"{name}[{index}]: {' '.join(error.messages)}") from None
    return cleaned


def email(value: Any, *, name: str) -> str:
    """An e-mail address, stripped and in lower case."""
    address = text(value, name=name, max_length=254).lower()
    try:
        _EMAIL(address)
    except ValidationError:
        raise invalid(name, f"{address!r} is not a valid email address ({name}).") from None
    return address


def url(value: Any, *, name: str, max_length: int = 500, allow_path: bool = False) -> str:
    """An absolute http:// or https:// URL (no javascript:, ftp:, or text that is not a URL); with
    `allow_path`, also an absolute path on this host (`/hooks/booking`: a webhook's inbound path)."""
    address = text(value, name=name, max_length=max_length)
    if allow_path and _PATH.fullmatch(address):
        return address
    try:
        _URL(address)
    except ValidationError:
        kinds = "an http:// or https:// URL" + (" or a path starting with /" if allow_path else "")
        raise invalid(name, f"{name} must be {kinds}, not {shown(address)}.") from None
    return address


def choice(value: Any, *, name: str, choices: Iterable[str]) -> str:
    """One of `choices` (the values of a TextChoices)."""
    allowed = list(choices)
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value) if isinstance(value, str) and len(value) <= 50 else f"A {_kind(value)}"
        label = name.replace("_", " ")
        raise invalid(name, f"{shown} is not a {label}; expected one of {', '.join(allowed)}.")
    return value


# --- numbers ---------------------------------------------------------------------------------------


def boolean(value: Any, *, name: str) -> bool:
    """True or False, nothing truthy."""
    if not isinstance(value, bool):
        raise invalid(name, f"{name} must be True or False, not {_kind(value)}.")
    return value


def integer(value: Any, *, name: str, min_value: int = INTEGER[0], max_value: int = INTEGER[1]) -> int:
    """An int (not a bool, not a float) from `min_value` to `max_value` (by default PostgreSQL's integer)."""
    if isinstance(value, bool) or not isinstance(value, int) or not min_value <= value <= max_value:
        shown = repr(value) if isinstance(value, int) else f"a {_kind(value)}"
        raise invalid(name, f"{name} must be an integer >= {min_value} and <= {max_value}, got {shown}.")
    return value


def number(value: Any, *, name: str, min_value: float = -math.inf, max_value: float = math.inf) -> float:
    """A finite int or float from `min_value` to `max_value`, as a float (durations, thresholds)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise invalid(name, f"{name} must be a number, not {_kind(value)}.")
    if isinstance(value, Decimal) and not value.is_finite():  # float() raises on a signaling NaN
        raise invalid(name, f"{name} must be a finite number, not {value}.")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise invalid(name, f"{name} must be a finite number, not {value}.")
    if not min_value <= result <= max_value:
        raise invalid(name, f"{name} must be from {min_value:g} to {max_value:g}, not {result:g}.")
    return result


def decimal(
    value: Any,
    *,
    name: str,
    max_digits: int | None = 12,
    decimal_places: int | None = 2,
    min_value: Decimal | int | None = None,
    max_value: Decimal | int | None = None,
    allow_float: bool = False,
) -> Decimal:
    """A finite Decimal from a Decimal, int or numeric string that fits numeric(max_digits,
    decimal_places) without rounding. Money is exact: a float is refused unless `allow_float`."""
    accepted: tuple[type, ...] = (Decimal, int, str, float) if allow_float else (Decimal, int, str)
    if isinstance(value, bool) or not isinstance(value, accepted):
        kinds = "a Decimal, an int or a numeric string" + (" or a float" if allow_float else "")
        raise invalid(name, f"{name} must be {kinds}, not {_kind(value)}.")
    if isinstance(value, str) and (len(value) > 100 or "\x00" in value):
        raise invalid(name, f"{name} is not a number.")
    try:
        result = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(name, f"{name} must be a number: {shown(value)} is not a number.") from None
    if not result.is_finite():
        raise invalid(name, f"{name} must be a finite number, not {value}.")
    _, digits, exponent = result.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    whole = max(len(digits) + exponent, 0)
    if max_digits is not None and whole > max_digits - (decimal_places or 0):
        limit = max_digits - (decimal_places or 0)
        raise invalid(name, f"{name} must have at most {limit} digits before the decimal point.")
    if decimal_places is not None and -exponent > decimal_places:
        # Trailing zeros (2.500) are not precision. They are counted in the digits themselves:
        # normalize() and quantize() round to the context's 28 digits, which would accept
        # 1.000000000000000000000000000001 as 1, or raise InvalidOperation on a long value.
        significant = len(digits)
        while significant and digits[significant - 1] == 0 and len(digits) - significant < -exponent:
            significant -= 1
        if -exponent - (len(digits) - significant) > decimal_places:
            raise invalid(name, f"{name} must have at most {decimal_places} decimal places, not {value}.")
        exact = Context(prec=whole + decimal_places + 1)
        result = result.quantize(Decimal(1).scaleb(-decimal_places), context=exact)
    if min_value is not None and max_value is not None and not min_value <= result <= max_value:
        raise invalid(name, f"{name} must be between {min_value} and {max_value}, not {result}.")
    if min_value is not None and result < min_value:
        if min_value == 0:
            raise invalid(name, f"{name} cannot be negative, not {result}.")
        raise invalid(name, f"{name} must be at least {min_value}, not {result}.")
    if max_value is not None and result > max_value:
        raise invalid(name, f"{name} must be at most {max_value}, not {result}.")
    return result


# --- time ------------------------------------------------------------------------------------------


def aware_datetime(value: Any, *, name: str) -> dt.datetime:
    """A timezone-aware datetime from 1900 through 2200."""
    if not isinstance(value, dt.datetime):
        raise invalid(name, f"{name} must be a timezone-aware datetime, not {_kind(value)}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid(name, f"{name} must be a timezone-aware datetime (with a time zone), not a naive one.")
    try:
        within = MIN_DATETIME <= value < MAX_DATETIME
    except OverflowError:  # an offset that pushes year 1 or 9999 outside datetime's range
        within = False
    if not within:
        raise invalid(name, f"{name} must be from the year 1900 through 2200, not {value.isoformat()}.")
    return value


def optional_aware_datetime(value: Any, *, name: str) -> dt.datetime | None:
    return None if value is None else aware_datetime(value, name=name)


def date(value: Any, *, name: str) -> dt.date:
    """A date (not a datetime) from 1900 through 2200."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise invalid(name, f"{name} must be a date (not a datetime), not {_kind(value)}.")
    if not MIN_DATE <= value <= MAX_DATE:
        raise invalid(name, f"{name} must be from the year 1900 through 2200, not {value.isoformat()}.")
    return value


def duration(
    value: Any,
    *,
    name: str,
    min_value: dt.timedelta = dt.timedelta(microseconds=1),
    max_value: dt.timedelta = dt.timedelta(days=3660),
) -> dt.timedelta:
    """A timedelta from `min_value` to `max_value` (positive and at most ten years by default)."""
    if not isinstance(value, dt.timedelta):
        raise invalid(name, f"{name} must be a positive timedelta, got a {_kind(value)}.")
    if not min_value <= value <= max_value:
        raise invalid(
            name, f"{name} must be a positive timedelta from {min_value} to {max_value}, got {value}."
        )
    return value


# --- JSON ------------------------------------------------------------------------------------------


def _check_json(value: Any, name: str, depth: int) -> None:
    if depth > JSON_MAX_DEPTH:
        raise invalid(
            name, f"{name} is not JSON-serialisable: nested more than {JSON_MAX_DEPTH} levels deep."
        )
    if isinstance(value, str):
        if "\x00" in value:
            raise invalid(
                name,
                f"{name} is not JSON-serialisable: it contains a NUL character (\\u0000).",
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise invalid(name, f"{name} is not JSON-serialisable: it contains a lone surrogate.") from None
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise invalid(
                name, f"{name} is not JSON-serialisable: it contains {value} (only finite numbers)."
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise invalid(
                    name, f"{name} is not JSON-serialisable: a key of type {_kind(key)} (keys are strings)."
                )
            _check_json(key, name, depth + 1)
            _check_json(item, name, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_json(item, name, depth + 1)
    elif value is not None and not isinstance(value, bool | int):
        raise invalid(name, f"{name} is not JSON-serialisable: it contains a {_kind(value)}.")


def json_text(
    value: Any, *, name: str, max_bytes: int = JSON_MAX_BYTES, types: tuple[type, ...] | None = None
) -> str:
    """`value` encoded as JSON text: only dicts with string keys, lists, strings, finite numbers, booleans
    and None; no `\\u0000`; at most `max_bytes` bytes encoded. `types` restricts the top level (dict)."""
    if types is not None and not isinstance(value, types):
        kinds = " or ".join(t.__name__ for t in types)
        raise invalid(name, f"{name} must be a {kinds}, not {_kind(value)}.")
    _check_json(value, name, 0)
    try:
        encoded = _JSON.encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise invalid(name, f"{name} is not JSON-serialisable: {exc}.") from None
    if len(encoded.encode("utf-8")) > max_bytes:
        raise invalid(name, f"{name} is larger than {max_bytes} bytes as JSON (the limit for one value).")
    return encoded


def json_value(value: Any, *, name: str, **limits: Any) -> Any:
    """`value` itself, once `json_text()` accepts it (for a JSONField)."""
    json_text(value, name=name, **limits)
    return value


def json_object(value: Any, *, name: str, allow_none: bool = True) -> dict | None:
    """A JSON object (dict); None stays None when allowed."""
    if value is None and allow_none:
        return None
    json_text(value, name=name, types=(dict,))
    return value


# --- model instances and keyword fields ------------------------------------------------------------


def instance(value: Any, *, name: str, model: type[M]) -> M:
    """A saved instance of `model` (not another model's, not one that was never saved)."""
    if not isinstance(value, model):
        raise invalid(name, f"{name} must be a saved {model.__name__}, not {_kind(value)}.")
    if value.pk is None or value._state.adding:
        raise invalid(name, f"{name} must be a saved {model.__name__} (this one was never saved).")
    return value


def optional_instance(value: Any, *, name: str, model: type[M]) -> M | None:
    return None if value is None else instance(value, name=name, model=model)


def refuse_unknown(fields: Mapping[str, Any], *, allowed: Iterable[str], what: str) -> None:
    """Refuse keyword arguments that are not among `allowed`, each keyed by its own name."""
    allowed = set(allowed)
    unknown = sorted(key for key in fields if key not in allowed)
    if unknown:
        what = what.lower()
        raise ValidationError(
            {key: f"Unknown {what} field: {key} (allowed: {', '.join(sorted(allowed))})." for key in unknown}
        )


def _integer_range(field: models.Field) -> tuple[int, int]:
    internal = field.get_internal_type()
    low, high = (
        SMALLINT
        if internal in ("SmallIntegerField", "PositiveSmallIntegerField")
        else BIGINT
        if internal in ("BigIntegerField", "PositiveBigIntegerField")
        else INTEGER
    )
    if internal.startswith("Positive"):
        low = 0
    for validator in field.validators:
        limit = getattr(validator, "limit_value", None)
        code = getattr(validator, "code", None)
        if isinstance(limit, int) and code == "min_value":
            low = max(low, limit)
        elif isinstance(limit, int) and code == "max_value":
            high = min(high, limit)
    return low, high


def model_field(model: type[models.Model], field_name: str, value: Any, *, name: str | None = None) -> Any:
    """`value` cleaned for the column `field_name` of `model`, by the field's type and limits.

    None is accepted only for a nullable field; errors are keyed by `name` (the argument, by default
    the field's name)."""
    name = name or field_name
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.Field):  # a reverse relation is no column to write
        raise invalid(name, f"{name} is not a column of {model._meta.verbose_name}.")
    if value is None:
        if field.null:
            return None
        raise invalid(name, f"{name} is required.")
    if field.is_relation:
        related = field.related_model
        assert isinstance(related, type)
        return instance(value, name=name, model=related)
    if field.choices:
        return choice(value, name=name, choices=[str(key) for key, _ in field.flatchoices])
    if isinstance(field, ArrayField):
        base = field.base_field
        return string_list(value, name=name, max_length=getattr(base, "max_length", None))
    if isinstance(field, models.JSONField):
        return json_value(value, name=name)
    if isinstance(field, models.BooleanField):
        return boolean(value, name=name)
    if isinstance(field, models.DecimalField):
        return decimal(
            value,
            name=name,
            max_digits=field.max_digits,
            decimal_places=field.decimal_places,
            min_value=_limit(field, "min_value"),
            max_value=_limit(field, "max_value"),
        )
    if isinstance(field, models.IntegerField):  # every integer field type
        low, high = _integer_range(field)
        return integer(value, name=name, min_value=low, max_value=high)
    if isinstance(field, models.FloatField):
        return number(value, name=name)
    if isinstance(field, models.DateTimeField):
        return aware_datetime(value, name=name)
    if isinstance(field, models.DateField):
        return date(value, name=name)
    if isinstance(field, models.EmailField):
        return email(value, name=name)
    if isinstance(field, models.URLField):
        return url(value, name=name, max_length=field.max_length or 500)
    if isinstance(field, models.CharField | models.TextField):
        cleaned = text(value, name=name, max_length=field.max_length or TEXT_MAX_LENGTH, blank=field.blank)
        return None if (cleaned == "" and field.null) else cleaned
    raise invalid(name, f"{name}: no validator for a {field.get_internal_type()} column.")


def model_decimal(
    model: type[models.Model], field_name: str, value: Any, *, name: str | None = None
) -> Decimal:
    """`model_field()` for a non-null DecimalField, typed as the Decimal it returns."""
    result = model_field(model, field_name, value, name=name)
    if not isinstance(result, Decimal):
        raise invalid(name or field_name, f"{name or field_name} is required.")
    return result


def _limit(field: models.Field, code: str) -> Decimal | None:
    for validator in field.validators:
        if getattr(validator, "code", None) == code:
            return Decimal(str(getattr(validator, "limit_value", None)))
    return None


def model_fields(
    model: type[models.Model], fields: Mapping[str, Any], *, allowed: Iterable[str] | None = None
) -> dict[str, Any]:
    """Keyword fields for `model`, each cleaned by `model_field()`; unknown names refused by name.

    `allowed` defaults to the model's editable concrete fields."""
    if allowed is None:
        allowed = {f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key}
    refuse_unknown(fields, allowed=allowed, what=str(model._meta.verbose_name))
    cleaned = {}
    for key, value in fields.items():
        try:
            cleaned[key] = model_field(model, key, value)
        except FieldDoesNotExist:
            raise invalid(key, f"{key} is not a field of {model._meta.verbose_name}.") from None
    return cleaned


# --- writing ---------------------------------------------------------------------------------------


def full_clean(obj: models.Model, *, names: Mapping[str, str] | None = None, **options: Any) -> None:
    """`obj.full_clean()`, with errors keyed by argument names: `names` maps a field to its argument,
    and errors that concern no single field (constraints) are keyed by `names["__all__"]` if given."""
    try:
        obj.full_clean(**options)
    except ValidationError as error:
        raise rekey(error, names or {}) from None


def rekey(error: ValidationError, names: Mapping[str, str]) -> ValidationError:
    """`error` with its keys renamed through `names` (an unkeyed error goes under `names["__all__"]`)."""
    if not hasattr(error, "error_dict"):
        return ValidationError({names.get("__all__", "__all__"): error.messages})
    renamed: dict[str, list[str]] = {}
    for key, errors in error.message_dict.items():
        renamed.setdefault(names.get(key, key), []).extend(errors)
    return ValidationError(renamed)


def save_new(
    obj: M, *, key: str, unique_message: str | None = None, names: Mapping[str, str] | None = None
) -> M:
    """full_clean, then INSERT; a unique violation that slips past validation (a race) is refused too,
    keyed by `key` (the argument that makes the row unique)."""
    full_clean(obj, names={"__all__": key, **(names or {})})
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        raise invalid(
            key, unique_message or f"This {obj._meta.verbose_name} conflicts with one that exists."
        ) from None
    return obj
