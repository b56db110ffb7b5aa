"""The one place where each public service function's valid arguments are declared.

`SPECS["<module>.<function>"]` is a function of the `World` (saved rows to refer to) that returns a dict
of Hypothesis strategies, one per argument: every argument the function takes, optional ones too, so
that the hostile test can replace each of them. A function in a services module's `__all__` without an
entry here fails `test_every_public_function_has_a_strategy`: add one when you add a function.

`hostile()` is what replaces one argument at a time: it is the same for every function.

Import from here (`from .strategies import SPECS, hostile`); the declarations live in a module per app
(`shared`, `billy`, `crm`, `flow`, `renos`, `vault`: the strategies of `<app>.services`), each
registering its entries with `@spec`; `base` holds the registry and the building blocks they share,
`hostile` the hostile values.
"""

from __future__ import annotations

# Imported for their @spec registrations: each fills SPECS with its app's entries.
from . import billy, crm, flow, renos, shared, vault  # noqa: F401
from .base import (
    API_KEY,
    EMAIL,
    JSON,
    JSON_OBJECT,
    JSON_SCALARS,
    MONEY,
    PRINTABLE,
    SPECS,
    VECTOR,
    Spec,
    aware,
    maybe,
    slug,
    spec,
    words,
)
from .hostile import core_hostile, hostile

__all__ = [
    "API_KEY",
    "EMAIL",
    "JSON",
    "JSON_OBJECT",
    "JSON_SCALARS",
    "MONEY",
    "PRINTABLE",
    "SPECS",
    "VECTOR",
    "Spec",
    "aware",
    "core_hostile",
    "hostile",
    "maybe",
    "slug",
    "spec",
    "words",
]
