"""`flow.services` is a package of modules by concern; callers still see one module: the names they
used before the split resolve. (tests/contract checks that every public function of a submodule is in
`__all__`.)
"""

import flow.services


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
