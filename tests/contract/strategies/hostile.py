"""The hostile values: what replaces one argument at a time, the same for every function."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ..world import World


def _nested(depth: int, leaf: Any) -> Any:
    """`leaf` inside `depth` lists: [[[…leaf…]]]."""
    for _ in range(depth):
        leaf = [leaf]
    return leaf


_FIXED_HOSTILE: list[Any] = [
    None,
    "",
    "   ",
    "\x00",
    "abc\x00def",
    "\ud800",
    "tekup\udfff",
    "x" * 300,
    "y" * 70_000,
    "é" * 2_000,
    "javascript:alert(1)",
    "not a url",
    "ftp://files.example/x",
    "notalist",
    "Europe/Nowhere",
    "* * *",
    "1e999999",
    "NaN",
    float("nan"),
    float("inf"),
    float("-inf"),
    1e30,
    -1e30,
    0.1,
    -1,
    0,
    2**31,
    -(2**63),
    10**40,
    True,
    False,
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("1e30"),
    Decimal("-0.001"),
    Decimal("1.23456789"),
    b"bytes",
    bytearray(b"x"),
    object(),
    [],
    {},
    (),
    set(),
    [None],
    [float("nan")],
    [True] * 1536,
    [0.0] * 1536,
    [float("inf")] + [0.0] * 1535,
    {"a": float("nan")},
    {"a": float("inf")},
    {"text": "nul\x00inside"},
    {"nul\x00key": 1},
    {1: "int key"},
    {"surrogate": "\ud800"},
    {"set": {1, 2}},
    {"deep": _nested(67, 1)},  # deeper than shared.validation.JSON_MAX_DEPTH (64) allows
    {"big": "z" * 1_100_000},
    dt.datetime(2026, 1, 1, 12, 0),  # noqa: DTZ001 (naive on purpose)
    dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    dt.datetime(1899, 12, 31, tzinfo=dt.UTC),
    dt.date(9999, 12, 31),
    dt.date(1, 1, 1),
    dt.timedelta(0),
    dt.timedelta(days=-1),
    dt.timedelta.max,
    dt.timedelta.min,
    math.pi,
    lambda: None,
]


def core_hostile(world: World) -> list[Any]:
    """The values every argument of every function is tried with, each of them, on every run: one of
    each kind the issue lists (the random `hostile()` then explores around them)."""
    return [
        None,
        "",
        "abc\x00def",
        "tekup\udfff",
        "y" * 70_000,
        "javascript:alert(1)",
        float("nan"),
        float("inf"),
        1e30,
        -1,
        10**40,
        True,
        Decimal("NaN"),
        Decimal("1e30"),
        object(),
        [True] * 1536,
        {"a": float("nan"), "b": "nul\x00"},
        dt.datetime(2026, 1, 1, 12, 0),  # noqa: DTZ001 (naive on purpose)
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
        dt.timedelta.max,
        world.unsaved[0],
        world.saved["sync_status"],  # saved, and of a model no other service takes
    ]


def hostile(world: World) -> st.SearchStrategy[Any]:
    """Values no service may turn into anything but a result or a ValidationError."""
    instances = list(world.saved.values())
    return st.one_of(
        st.sampled_from(_FIXED_HOSTILE),
        st.sampled_from(instances),  # saved, but often of the wrong model
        st.sampled_from(world.unsaved),
        st.text(min_size=0, max_size=20).map(lambda s: s + "\x00"),
        st.text(st.characters(codec="utf-8"), max_size=300),  # anything encodable, control characters too
        st.integers(),
        st.floats(),
        st.decimals(),
        st.datetimes(timezones=st.just(dt.UTC) | st.none()),
        st.lists(st.floats(), max_size=3),
        st.dictionaries(st.text(max_size=3), st.floats() | st.text(max_size=3), max_size=3),
    )
