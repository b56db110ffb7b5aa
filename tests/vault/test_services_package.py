"""`vault.services` is a package of modules by concern; callers still see one module.

tests/contract sweeps the functions of `vault.services.__all__`; a public function defined in a submodule
and left out of it would escape that sweep (and the contract's own check, which only sees functions
defined in `vault/services/__init__.py`).
"""

import importlib
import inspect
import pkgutil

import vault.services


def _submodules():
    for info in pkgutil.iter_modules(vault.services.__path__):
        yield importlib.import_module(f"vault.services.{info.name}")


def test_every_public_function_of_a_submodule_is_in_the_package_api():
    defined = {
        name: obj
        for module in _submodules()
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
        and not name.startswith("_")
    }
    assert set(defined) == set(vault.services.__all__)
    for name, obj in defined.items():
        assert getattr(vault.services, name) is obj, name


def test_the_names_callers_used_before_the_split_still_resolve():
    from vault import embedders
    from vault.services import search, validation

    # The admin's form bound, the seeder's embedder, the limits and plan constants of the old module.
    assert vault.services.MAX_SEARCH_LIMIT == search.MAX_SEARCH_LIMIT == 1000
    assert vault.services.get_embedder is embedders.get_embedder
    assert vault.services.Embedder is embedders.Embedder
    assert vault.services.ITERATIVE_SCAN_VERSION == (0, 8, 0)
    assert vault.services.MAX_PATH_BYTES == validation.MAX_PATH_BYTES
    # The same mapping, so code that primes it through the old path changes what the search reads.
    assert vault.services._pgvector_versions is search._pgvector_versions
