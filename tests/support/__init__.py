"""Helpers that tests in every folder share: a clock, threads that race on the real database, and
assertions that the database itself refused a write, a directory that one worker of a parallel run
builds for all.

    from tests.support.clock import freeze_clock
    from tests.support.once import built_once
    from tests.support.concurrency import Worker, run_together, wait_for_lock_waiters
    from tests.support.constraints import refused_by, refused_sql
"""
