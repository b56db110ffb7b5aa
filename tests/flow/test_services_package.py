"""`flow.services` is a package of modules by concern; callers still see one module.

tests/contract sweeps the functions of `flow.services.__all__`; a public function defined in a submodule
and left out of it would escape that sweep (and the contract's own check, which only sees functions
defined in `flow/services/__init__.py`).
"""

import importlib
import inspect
import pkgutil

import flow.services


def _submodules():
    for info in pkgutil.iter_modules(flow.services.__path__):
        yield importlib.import_module(f"flow.services.{info.name}")


def test_every_public_function_of_a_submodule_is_in_the_package_api():
    defined = {
        name: obj
        for module in _submodules()
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
        and not name.startswith("_")
    }
    assert set(defined) == set(flow.services.__all__)
    for name, obj in defined.items():
        assert getattr(flow.services, name) is obj, name


def test_the_names_callers_used_before_the_split_still_resolve():
    from flow.models import Execution
    from flow.services import executions, schedules, variables

    # What the demo data and the admin's form import, and the constants of the old module.
    assert flow.services.next_run_after is schedules.next_run_after
    assert flow.services.stored_variable_value is variables.stored_variable_value
    assert flow.services.FINISHED is executions.FINISHED
    assert set(flow.services.FINISHED) == {
        Execution.Status.COMPLETED,
        Execution.Status.FAILED,
        Execution.Status.CANCELLED,
    }
    assert flow.services.SCHEDULE_FIELDS is schedules.SCHEDULE_FIELDS
