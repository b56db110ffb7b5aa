"""The registry of argument strategies (`SPECS`, filled by `@spec`) and the building blocks that the
per-app modules compose them from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ..world import World

Spec = Callable[[World], dict[str, st.SearchStrategy[Any]]]
SPECS: dict[str, Spec] = {}


def spec(qualname: str) -> Callable[[Spec], Spec]:
    def register(function: Spec) -> Spec:
        SPECS[qualname] = function
        return function

    return register


PRINTABLE = st.characters(
    min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc", "Zl", "Zp")
)


def words(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(PRINTABLE, min_size=1, max_size=max_size).filter(lambda s: s.strip() != "")


def slug(max_size: int = 30) -> st.SearchStrategy[str]:
    return st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=max_size)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | words(20)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(slug(10), inner, max_size=4),
    max_leaves=10,
)
JSON_OBJECT = st.dictionaries(slug(10), JSON, max_size=4)
MONEY = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
API_KEY = st.text("abcdefABCDEF0123456789", min_size=16, max_size=64)
EMAIL = st.builds(lambda user: f"{user}@example.dk", slug(20))


def aware(days: int = 365) -> st.SearchStrategy[dt.datetime]:
    now = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    return st.integers(-days * 86400, days * 86400).map(lambda s: now + dt.timedelta(seconds=s))


def _unit_vector(seed: int) -> list[float]:
    from vault.factories import random_unit_vector

    return random_unit_vector(seed)


VECTOR = st.integers(0, 10**6).map(_unit_vector)
