"""`billy.services` is a package of modules by concern; callers still see one module.

tests/contract sweeps the functions of `billy.services.__all__`; a public function defined in a submodule
and left out of it would escape that sweep (and the contract's own check, which only sees functions
defined in `billy/services/__init__.py`).
"""

import importlib
import inspect
import pkgutil

import billy.services


def _submodules():
    for info in pkgutil.iter_modules(billy.services.__path__):
        yield importlib.import_module(f"billy.services.{info.name}")


def test_every_public_function_of_a_submodule_is_in_the_package_api():
    defined = {
        name: obj
        for module in _submodules()
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
        and not name.startswith("_")
    }
    assert set(defined) == set(billy.services.__all__)
    for name, obj in defined.items():
        assert getattr(billy.services, name) is obj, name


def test_the_names_callers_used_before_the_split_still_resolve():
    from billy.services import audit, cache, rate_limits, redaction, usage, validation

    # The limits and defaults of the old module.
    assert billy.services.DEFAULT_CACHE_TTL == cache.DEFAULT_CACHE_TTL
    assert billy.services.MAX_AUDIT_LIMIT == audit.MAX_AUDIT_LIMIT == 1000
    assert billy.services.MAX_DURATION_MS == usage.MAX_DURATION_MS
    assert billy.services.MAX_TTL == validation.MAX_TTL
    assert billy.services.MAX_WINDOW == rate_limits.MAX_WINDOW
    assert billy.services.REDACTED == redaction.REDACTED == "[redacted]"
    # tests/billy/test_usage_slot.py reads the slot function, bench/history.py times the upsert's SQL.
    assert billy.services._usage_slot is usage._usage_slot
    assert billy.services._TRACK_USAGE_SQL is usage._TRACK_USAGE_SQL
