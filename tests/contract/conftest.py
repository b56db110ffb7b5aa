"""Hypothesis profiles for the service-contract property tests.

`ci` (the default) keeps the whole property suite bounded (well under a minute on the 2-core CI
machine): few examples per function, no example database on disk, no deadline (the first call of a
function pays for its queries' planning). `thorough` is for a developer hunting a bug:
`HYPOTHESIS_PROFILE=thorough python -m pytest tests/contract`.
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}
settings.register_profile("ci", max_examples=10, **_COMMON)
settings.register_profile("thorough", max_examples=300, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
