"""`billy.services` is a package of modules by concern; callers still see one module: the names they
used before the split resolve. (tests/contract checks that every public function of a submodule is in
`__all__`.)
"""

import billy.services


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
