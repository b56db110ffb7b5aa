"""`renos.services` is a package of modules by concern; callers still see one module.

tests/contract sweeps the functions of `renos.services.__all__`; a public function defined in a submodule
and left out of it would escape that sweep (and the contract's own check, which only sees functions
defined in `renos/services/__init__.py`).
"""

import importlib
import inspect
import pkgutil

import renos.services


def _submodules():
    for info in pkgutil.iter_modules(renos.services.__path__):
        yield importlib.import_module(f"renos.services.{info.name}")


def test_every_public_function_of_a_submodule_is_in_the_package_api():
    defined = {
        name: obj
        for module in _submodules()
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
        and not name.startswith("_")
    }
    assert set(defined) == set(renos.services.__all__)
    for name, obj in defined.items():
        assert getattr(renos.services, name) is obj, name


def test_the_names_callers_used_before_the_split_still_resolve():
    from renos import factories
    from renos.services import customers, invoices, leads

    # The factories number invoices through the package, as before.
    assert factories.allocate_invoice_number is invoices.allocate_invoice_number
    # The constants of the old module.
    assert renos.services.QUOTE_VALID_DAYS == leads.QUOTE_VALID_DAYS == 30
    assert renos.services.MAX_DUE_IN_DAYS == invoices.MAX_DUE_IN_DAYS == 365
    assert renos.services.ANONYMISED_FIELDS is customers.ANONYMISED_FIELDS
    assert renos.services.REMOVED == customers.REMOVED == "(removed)"
