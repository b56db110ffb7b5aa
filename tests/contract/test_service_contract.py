"""The service contract, proven over every function in every `<app>.services` `__all__` (issue #14).

- Every public function takes keyword-only arguments and says in its docstring what it raises.
- With valid arguments (declared per function in `strategies/<app>.py`) and with any one argument
  replaced by a hostile value (`strategies.hostile`), a function returns or raises `ValidationError`,
  never anything else; the error is keyed by argument names; and after a ValidationError no schema
  table has gained or lost a row.
- A services package (`vault/services/`) is one module to callers: a public function or class defined
  in any of its submodules is in the package's `__all__`.

Each example runs in a savepoint that is rolled back, so the examples do not see each other's rows.
The number of examples comes from the Hypothesis profile (tests/contract/conftest.py).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import weakref
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.database import built_for_the_module

from .strategies import SPECS, core_hostile, hostile
from .world import build_world

APPS = ("shared", "vault", "billy", "renos", "crm", "flow")


# Context managers whose signature issue #12 fixed as `acting_as(user)` / `summarised_audit(label)`:
# calling one does nothing until it is entered, so the sweep below cannot judge them; tests/shared/
# test_audit.py checks their refusals where they are entered.
CONTEXT_MANAGERS = {"shared.services.acting_as", "shared.services.summarised_audit"}


def _public_functions() -> dict[str, Any]:
    found = {}
    for app in APPS:
        module = importlib.import_module(f"{app}.services")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and f"{app}.services.{name}" not in CONTEXT_MANAGERS:
                found[f"{app}.services.{name}"] = obj
    return found


PUBLIC = _public_functions()


def _schema_tables() -> list[str]:
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in APPS and '"."' in model._meta.db_table and model._meta.managed:
            tables.add(model._meta.db_table)
    return sorted(tables)


_COUNTS = "contract_row_counts"
_PREPARED_ON: weakref.WeakSet = weakref.WeakSet()  # the psycopg connections that have the statement


def _row_counts() -> tuple[int, ...]:
    """The row count of every schema table, by one prepared statement (planning 50 subqueries each
    time would cost more than most service calls)."""
    with connection.cursor() as cursor:
        raw = connection.connection
        if raw not in _PREPARED_ON:
            # By name only: psycopg keeps its own prepared statements on the connection too.
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [_COUNTS])
            if cursor.fetchone()[0]:
                cursor.execute(f"DEALLOCATE {_COUNTS}")
            parts = [f"(SELECT count(*) FROM {connection.ops.quote_name(t)})" for t in _schema_tables()]
            cursor.execute(f"PREPARE {_COUNTS} AS SELECT " + ", ".join(parts))
            _PREPARED_ON.add(raw)
        cursor.execute(f"EXECUTE {_COUNTS}")
        return tuple(cursor.fetchone())


def _accepts(function) -> set[str]:
    return {p.name for p in inspect.signature(function).parameters.values() if p.kind is p.KEYWORD_ONLY}


def _takes_fields(function) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(function).parameters.values())


# --- the shape of the API --------------------------------------------------------------------------------


def _defined_in(module) -> list[tuple[str, str, Any]]:
    """(module name, name, object) of every public-looking function and class defined in `module` or,
    when it is a package (`vault/services/`), in any of its submodules."""
    modules = [module]
    if hasattr(module, "__path__"):
        prefix = f"{module.__name__}."
        modules += [
            importlib.import_module(info.name) for info in pkgutil.walk_packages(module.__path__, prefix)
        ]
    return [
        (each.__name__, name, obj)
        for each in modules
        for name, obj in vars(each).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == each.__name__
        and not name.startswith("_")
    ]


def test_every_services_module_declares_its_public_functions():
    for app in APPS:
        module = importlib.import_module(f"{app}.services")
        assert isinstance(module.__all__, list | tuple) and module.__all__, app
        for name in module.__all__:
            assert hasattr(module, name), f"{app}.services.__all__ names {name}, which does not exist"
            assert not name.startswith("_"), name
        # A public-looking function (or class) defined here, or in a submodule of a services package,
        # but left out of __all__ is a helper to make private; one in it must be what the API exports.
        defined = _defined_in(module)
        leaked = [f"{where}.{name}" for where, name, _ in defined if name not in module.__all__]
        assert not leaked, f"{app}.services: make private or add to __all__: {leaked}"
        shadowed = [f"{where}.{name}" for where, name, obj in defined if getattr(module, name) is not obj]
        assert not shadowed, f"{app}.services exports another object under the name of: {shadowed}"


def test_every_public_function_has_a_strategy():
    missing = sorted(set(PUBLIC) - set(SPECS))
    assert not missing, f"declare argument strategies in tests/contract/strategies/<app>.py for: {missing}"


@pytest.mark.parametrize("qualname", sorted(PUBLIC))
def test_public_function_is_keyword_only_and_documents_its_errors(qualname):
    function = PUBLIC[qualname]
    positional = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    assert not positional, f"{qualname} takes {positional} positionally"
    assert function.__doc__ and "Raises" in function.__doc__, f"{qualname}: say what it raises"


@pytest.mark.parametrize("qualname", sorted(PUBLIC))
def test_strategy_covers_every_argument(qualname):
    function = PUBLIC[qualname]
    declared = set(SPECS[qualname](_NoWorld()))
    missing = _accepts(function) - declared
    assert not missing, f"{qualname}: no strategy for {sorted(missing)}"
    if not _takes_fields(function):
        assert declared <= _accepts(function), (
            f"{qualname}: strategies for unknown {declared - _accepts(function)}"
        )


class _NoWorld:
    """Lets a spec be read for its argument names without building rows."""

    def __getattr__(self, name):
        return None


# --- the property tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The rows, built once for the module (tests.support.database)."""
    with built_for_the_module(django_db_blocker, build_world) as built:
        yield built


def _call(function, kwargs: dict[str, Any], qualname: str, before: tuple[int, ...]) -> None:
    """Call `function` in a savepoint that is rolled back; only success or a keyed ValidationError pass,
    and a ValidationError must leave every schema table's row count as it was (`before`: every call is
    rolled back, so the counts before any call of a test are the counts of the test's start)."""
    with transaction.atomic():
        try:
            function(**kwargs)
        except ValidationError as error:
            after = _row_counts()
            assert after == before, f"{qualname} wrote rows before refusing: {error}"
            assert hasattr(error, "error_dict"), f"{qualname}: error not keyed by argument: {error.messages}"
            allowed = set(kwargs) | _accepts(function)
            assert set(error.error_dict) <= allowed, (
                f"{qualname}: error keyed by {sorted(error.error_dict)}, not argument names"
            )
        transaction.set_rollback(True)


@pytest.mark.parametrize("qualname", sorted(SPECS))
def test_valid_arguments_succeed_or_are_refused_cleanly(qualname, world, db):
    function = PUBLIC[qualname]
    before = _row_counts()

    @given(kwargs=st.fixed_dictionaries(SPECS[qualname](world)))
    def run(kwargs):
        _call(function, kwargs, qualname, before)

    run()


@pytest.mark.parametrize("qualname", sorted(SPECS))
def test_hostile_argument_is_refused_cleanly(qualname, world, db):
    function = PUBLIC[qualname]
    valid = SPECS[qualname](world)
    names = sorted(valid) + (["unknown_field"] if _takes_fields(function) else [])
    if not names:
        pytest.skip(f"{qualname} takes no arguments")
    before = _row_counts()

    @given(kwargs=st.fixed_dictionaries(valid), target=st.sampled_from(names), bad=hostile(world))
    def run(kwargs, target, bad):
        _call(function, {**kwargs, target: bad}, qualname, before)

    run()


def _sweep_call(function, kwargs: dict[str, Any], label: str) -> None:
    """As `_call`, for the sweep: a success is rolled back, but what a refused call did is kept (its
    savepoint is released), so that one count at the end of the sweep shows whether any refusal wrote."""
    sid = transaction.savepoint()
    try:
        function(**kwargs)
    except ValidationError as error:
        transaction.savepoint_commit(sid)
        assert hasattr(error, "error_dict"), f"{label}: error not keyed by argument: {error.messages}"
        allowed = set(kwargs) | _accepts(function)
        assert set(error.error_dict) <= allowed, f"{label}: error keyed by {sorted(error.error_dict)}"
    else:
        transaction.savepoint_rollback(sid)


@pytest.mark.parametrize("qualname", sorted(SPECS))
def test_every_argument_refuses_each_core_hostile_value(qualname, world, db):
    """Deterministic: each argument in turn, with each of `core_hostile()`, from one valid draw."""
    function = PUBLIC[qualname]
    valid = SPECS[qualname](world)
    names = sorted(valid) + (["unknown_field"] if _takes_fields(function) else [])
    values = core_hostile(world)
    before = _row_counts()

    @settings(max_examples=1)
    @given(kwargs=st.fixed_dictionaries(valid))
    def run(kwargs):
        with transaction.atomic():
            for target in names:
                for bad in values:
                    _sweep_call(function, {**kwargs, target: bad}, f"{qualname}({target}={bad!r:.40})")
            wrote = _row_counts() != before
            transaction.set_rollback(True)
        if wrote:  # find the refusal that wrote, one call at a time, for the message
            for target in names:
                for bad in values:
                    _call(function, {**kwargs, target: bad}, f"{qualname}({target}={bad!r:.40})", before)
            pytest.fail(f"{qualname}: refused calls together changed row counts")

    run()
