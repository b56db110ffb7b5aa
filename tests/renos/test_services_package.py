"""`renos.services` is a package of modules by concern; callers still see one module: the names they
used before the split resolve. (tests/contract checks that every public function of a submodule is in
`__all__`.)
"""

import renos.services


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
