"""How the admin shows numbers to Danish staff: money in kroner, durations in hours and minutes,
percentages rounded.

Django's own number formatting follows the active language (English in this admin), which would give
"1,234.56"; staff read Danish notation, so these helpers format with "." for thousands and "," for
decimals whatever the language: `money(Decimal("1234.56"))` -> "1.234,56 kr.".

`column_kind(field)` tells what a model field holds from its type, name and help text (money is
numeric(12,2) throughout the data model, DATA_MODEL.md), so every changelist formats its columns
without each admin listing them (shared.admin_base).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from django.db import models

__all__ = ["column_kind", "duration_minutes", "duration_ms", "format_value", "money", "number", "percent"]

NO_BREAK = "\u00a0"  # keeps "1.234,56" and "kr." on one line
CURRENCY_SIGNS = {"DKK": "kr."}
PERCENT_NAMES = {"probability", "discount", "vat_rate", "cache_hit_rate"}


def number(value, places: int = 0) -> str:
    """`value` with Danish separators: 1234567.891 -> "1.234.567,89" (places=2)."""
    try:
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if not exact.is_finite():  # a float column may hold inf / nan
        return "-∞" if exact.is_infinite() and exact < 0 else ("∞" if exact.is_infinite() else "–")
    quantum = Decimal(1).scaleb(-places)
    # Enough digits for the largest value a column can hold (a float near 1.8e308, numeric(1000, 0)):
    # the default context's 28 digits would make quantize() raise InvalidOperation.
    context = Context(prec=max(28, exact.adjusted() + places + 2), rounding=ROUND_HALF_UP)
    rounded = exact.quantize(quantum, context=context)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    text = ".".join([whole, *groups])
    return f"{sign}{text},{fraction}" if places else f"{sign}{text}"


def money(value, currency: str | None = "DKK") -> str:
    """ "1.234,56 kr." for kroner; another currency by its code: "1.234,56 EUR"."""
    code = (currency or "DKK").upper()
    return f"{number(value, 2)}{NO_BREAK}{CURRENCY_SIGNS.get(code, code)}"


def percent(value, *, ratio: bool = False) -> str:
    """A percentage rounded to a whole number ("42 %"); `ratio` for values where 1 means 100 %."""
    value = Decimal(str(value))
    if ratio and value.is_finite():
        value = value.scaleb(2)  # x 100, exact whatever the size
    return f"{number(value)}{NO_BREAK}%"


def duration_minutes(minutes, *, signed: bool = False) -> str:
    """462 -> "7 h 42 min"; 42 -> "42 min"; `signed` adds + for positive values (a variance)."""
    minutes = float(minutes)
    if math.isnan(minutes) or math.isinf(minutes):
        return number(minutes)
    minutes = int(round(minutes))
    sign = "-" if minutes < 0 else ("+" if signed and minutes > 0 else "")
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        text = f"{hours}{NO_BREAK}h {rest}{NO_BREAK}min"
    elif hours:
        text = f"{hours}{NO_BREAK}h"
    else:
        text = f"{rest}{NO_BREAK}min"
    return sign + text


def duration_ms(milliseconds) -> str:
    """850 -> "850 ms"; 28946.2 -> "28,9 s"; 192000 -> "3 min 12 s"; 27720000 -> "7 h 42 min"."""
    ms = float(milliseconds)
    if not math.isfinite(ms) or ms < 1000:
        return f"{number(ms)}{NO_BREAK}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{number(seconds, 1)}{NO_BREAK}s"
    if seconds < 3600:
        whole, rest = divmod(int(round(seconds)), 60)
        return f"{whole}{NO_BREAK}min {rest}{NO_BREAK}s" if rest else f"{whole}{NO_BREAK}min"
    return duration_minutes(seconds / 60)


def column_kind(field) -> str | None:
    """ "money", "percent", "ratio", "minutes", "variance" (signed minutes), "ms" or None (as is)."""
    if not isinstance(field, models.Field) or field.choices:
        return None
    name, help_text = field.name, str(field.help_text or "")
    if name in PERCENT_NAMES or help_text.lower().startswith("percentage"):
        return "percent"
    if isinstance(field, models.DecimalField) and "÷" in help_text:
        return "ratio"
    if isinstance(field, models.FloatField) and name == "confidence":
        return "ratio"  # a model's confidence, 0..1 (renos email threads, task executions)
    if isinstance(field, models.DecimalField) and (field.max_digits, field.decimal_places) == (12, 2):
        return "money"
    if isinstance(field, models.IntegerField | models.FloatField):
        if name.endswith("_ms") or help_text.startswith("Milliseconds"):
            return "ms"
        if name == "time_variance":
            return "variance"
        if name.endswith("_minutes") or help_text.startswith("Minutes"):
            return "minutes"
    return None


def format_value(kind: str, value, *, currency: str | None = None) -> str:
    if kind == "money":
        return money(value, currency)
    if kind == "percent":
        return percent(value)
    if kind == "ratio":
        return percent(value, ratio=True)
    if kind == "minutes":
        return duration_minutes(value)
    if kind == "variance":
        return duration_minutes(value, signed=True)
    if kind == "ms":
        return duration_ms(value)
    raise ValueError(f"Unknown column kind {kind!r}.")
